//! Image inspection for Rampart: [`ImageSniffer`] implements the `ImageInspector` port.
//!
//! The type comes from the leading bytes through infer's magic-number table, never from a name or
//! a declared `Content-Type`. Dimensions come from the image header alone. Decoding and
//! re-encoding use the image crate with only its PNG, JPEG, GIF and WebP codecs compiled in, on
//! tokio's blocking threads, a few images at a time.

mod reencode;
mod sniffer;

pub use sniffer::{DECODE_MAX_ALLOC, ImageSniffer, JPEG_QUALITY};
