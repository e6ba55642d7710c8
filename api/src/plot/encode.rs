use super::RenderError;

/// Encodes an RGB buffer as PNG, favouring speed: plots are mostly flat colour and compress well anyway.
pub fn png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(64 * 1024);
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(|e| RenderError::Encode(e.to_string()))?;
        writer.write_image_data(rgb).map_err(|e| RenderError::Encode(e.to_string()))?;
    }
    Ok(out)
}
