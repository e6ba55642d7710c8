use std::sync::OnceLock;

use plotters::style::FontStyle;

use super::RenderError;

/// DejaVu Sans (see `assets/fonts/DejaVuSans-LICENSE.txt`), compiled in: Lambda has no system fonts.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the font for every family and style the plot draws, once per process.
pub fn register() -> Result<(), RenderError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FontStyle::Normal, FontStyle::Bold]
            .into_iter()
            .all(|style| plotters::style::register_font("sans-serif", style, DEJAVU_SANS).is_ok())
    });
    if ok { Ok(()) } else { Err(RenderError::Font) }
}
