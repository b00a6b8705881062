//! Decoding within limits and encoding again in the same format.
//!
//! Encoding from decoded pixels writes none of the source's metadata (EXIF, XMP, ICC profiles,
//! comments) and nothing that followed the image data. The EXIF orientation is applied to the
//! pixels first, so photos keep the rotation they were shown with.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};
use rampart_domain::upload::ImageFormat;
use rampart_ports::ImageError;

use crate::sniffer::{JPEG_QUALITY, limits};

/// Returns the image crate's name of a format.
pub(crate) fn codec_format(format: ImageFormat) -> image::ImageFormat {
    match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Gif => image::ImageFormat::Gif,
    }
}

/// Translates a decoding error: a limit becomes [`ImageError::LimitExceeded`], anything about
/// the input becomes [`ImageError::Malformed`].
pub(crate) fn image_error(error: image::ImageError) -> ImageError {
    match error {
        image::ImageError::Limits(_) => ImageError::LimitExceeded,
        image::ImageError::Encoding(_) => ImageError::Internal(Box::new(error)),
        other => ImageError::Malformed(Box::new(other)),
    }
}

/// Decodes `bytes` as `format` with at most `max_pixels` pixels and encodes the pixels again.
///
/// # Errors
/// [`ImageError::LimitExceeded`] past `max_pixels` or the allocation limit,
/// [`ImageError::Malformed`] when decoding fails, [`ImageError::Internal`] when encoding fails.
pub(crate) fn reencode(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<Vec<u8>, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec_format(format));
    reader.limits(limits(max_pixels));
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ImageError::LimitExceeded);
    }
    // A malformed EXIF block only loses the rotation; the pixels are still checked below.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    image.apply_orientation(orientation);

    let mut encoded = Vec::new();
    let written = match format {
        ImageFormat::Jpeg => {
            image.write_with_encoder(JpegEncoder::new_with_quality(&mut encoded, JPEG_QUALITY))
        }
        ImageFormat::Png => image.write_with_encoder(PngEncoder::new(&mut encoded)),
        ImageFormat::Webp => image.write_with_encoder(WebPEncoder::new_lossless(&mut encoded)),
        // NOTE: only the first frame of an animated GIF is kept.
        ImageFormat::Gif => image.write_with_encoder(GifEncoder::new(&mut encoded)),
    };
    written.map_err(|error| ImageError::Internal(Box::new(error)))?;
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    fn sample(format: ImageFormat) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(RgbImage::from_fn(16, 8, |x, y| {
            Rgb([
                u8::try_from(x * 16).unwrap(),
                u8::try_from(y * 32).unwrap(),
                128,
            ])
        }));
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, codec_format(format)).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn each_format_round_trips() {
        for format in ImageFormat::ALL {
            let encoded = reencode(&sample(format), format, 1_000).unwrap();

            let decoded = image::load_from_memory_with_format(&encoded, codec_format(format))
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!((decoded.width(), decoded.height()), (16, 8), "{format:?}");
        }
    }

    #[test]
    fn appended_bytes_are_dropped() {
        let mut bytes = sample(ImageFormat::Png);
        bytes.extend_from_slice(b"trailing payload");

        let encoded = reencode(&bytes, ImageFormat::Png, 1_000).unwrap();

        assert!(!encoded.ends_with(b"trailing payload"));
    }

    #[test]
    fn pixel_limit_is_enforced() {
        let result = reencode(&sample(ImageFormat::Png), ImageFormat::Png, 100);

        assert!(matches!(result, Err(ImageError::LimitExceeded)));
    }

    #[test]
    fn truncated_data_is_malformed() {
        let bytes = sample(ImageFormat::Png);

        let result = reencode(&bytes[..bytes.len() / 2], ImageFormat::Png, 1_000);

        assert!(matches!(result, Err(ImageError::Malformed(_))));
    }

    #[test]
    fn wrong_format_is_malformed() {
        let result = reencode(&sample(ImageFormat::Png), ImageFormat::Jpeg, 1_000);

        assert!(matches!(result, Err(ImageError::Malformed(_))));
    }
}
