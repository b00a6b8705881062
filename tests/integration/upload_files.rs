//! Files and multipart bodies for the upload tests, all built here: valid images from the image
//! crate, and hostile ones made by editing their bytes.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// The boundary of every multipart body built here.
pub(super) const BOUNDARY: &str = "rampart-test-boundary-7f3a";
/// A marker inside the EXIF block of [`jpeg_with_exif`], to look for in served bytes.
pub(super) const EXIF_MARKER: &[u8] = b"GPS 48.8584 N 2.2945 E";

/// Encodes a 32x24 gradient in `format`.
pub(super) fn image(format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(32, 24, |x, y| {
        Rgb([
            u8::try_from(x * 8).unwrap(),
            u8::try_from(y * 10).unwrap(),
            200,
        ])
    });
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut bytes, format)
        .unwrap();
    bytes.into_inner()
}

/// Returns a JPEG with an APP1 Exif segment, holding [`EXIF_MARKER`], right after SOI.
pub(super) fn jpeg_with_exif() -> Vec<u8> {
    let jpeg = image(ImageFormat::Jpeg);
    // TIFF header (big-endian, first IFD at offset 8), an IFD with no entries and no next IFD,
    // then the marker as trailing data of the block.
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(EXIF_MARKER);
    let length = u16::try_from(exif.len() + 2).unwrap();
    let mut bytes = jpeg[..2].to_vec();
    bytes.extend_from_slice(&[0xff, 0xe1]);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(&exif);
    bytes.extend_from_slice(&jpeg[2..]);
    bytes
}

/// Returns a GIF with a comment extension holding PHP code before its trailer.
pub(super) fn gif_with_php_comment() -> Vec<u8> {
    let gif = image(ImageFormat::Gif);
    let comment = b"<?php system($_GET['c']); ?>";
    let (body, trailer) = gif.split_at(gif.len() - 1);
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(&[0x21, 0xfe, u8::try_from(comment.len()).unwrap()]);
    bytes.extend_from_slice(comment);
    bytes.push(0);
    bytes.extend_from_slice(trailer);
    bytes
}

/// Returns a JPEG with a ZIP archive header and entry appended.
pub(super) fn jpeg_with_zip() -> Vec<u8> {
    let mut bytes = image(ImageFormat::Jpeg);
    bytes.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0shell.php");
    bytes
}

/// Returns the standard CRC-32 of `bytes`, as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    chunk.extend_from_slice(&checked);
    chunk.extend_from_slice(&crc32(&checked).to_be_bytes());
    chunk
}

/// Returns a PNG whose header declares `width` x `height` RGB pixels but whose data is a few
/// bytes: decoding it would allocate width * height * 3 bytes.
pub(super) fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&png_chunk(b"IHDR", &header));
    bytes.extend_from_slice(&png_chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00]));
    bytes.extend_from_slice(&png_chunk(b"IEND", &[]));
    bytes
}

/// One part of a multipart body: a field name, an optional file name and the content.
pub(super) struct Part<'a> {
    pub(super) name: &'a str,
    pub(super) filename: Option<&'a str>,
    pub(super) content: &'a [u8],
}

/// Returns the part for the `file` field.
pub(super) fn file_part<'a>(filename: &'a str, content: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        filename: Some(filename),
        content,
    }
}

/// Returns the head of one part: the boundary line and the part headers.
pub(super) fn part_head(part: &Part<'_>) -> Vec<u8> {
    let mut head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"",
        part.name
    )
    .into_bytes();
    if let Some(filename) = part.filename {
        head.extend_from_slice(b"; filename=\"");
        head.extend_from_slice(filename.as_bytes());
        head.push(b'"');
    }
    // The declared type is a lie on purpose: the server must not trust it.
    head.extend_from_slice(b"\r\nContent-Type: image/png\r\n\r\n");
    head
}

/// Returns a complete multipart body with `parts`.
pub(super) fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(&part_head(part));
        body.extend_from_slice(part.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Returns the `Content-Type` of the bodies built here.
pub(super) fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[test]
fn crc32_matches_known_value() {
    assert_eq!(crc32(b"IEND"), 0xae42_6082);
}
