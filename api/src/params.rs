//! Query parameters, validated at the edge: a handler only ever sees valid values.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use domain::{BucketName, LATEST_PLOT_KEY, ObjectKey, PLOTS_PREFIX, Series};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Windows run from one second to 31 days.
pub const MAX_WINDOW_SECONDS: u64 = domain::MAX_WINDOW_SECONDS as u64;
pub const DEFAULT_WINDOW_SECONDS: u64 = 10;
pub const MAX_EXPIRES_SECONDS: u64 = 3_600;
/// `/window` answers at most this many points by default, and never more than the most.
pub const DEFAULT_MAX_POINTS: u64 = 1_000;
pub const MOST_POINTS: u64 = 10_000;
pub const DEFAULT_EXPIRES_SECONDS: u64 = 300;

/// `Query<T>` whose failures answer in the api's JSON error format.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| ApiError::invalid("query", rejection.body_text()))
    }
}

fn whole_number(name: &'static str, raw: &str, low: u64, high: u64) -> Result<u64, ApiError> {
    raw.trim().parse::<u64>().ok().filter(|value| (low..=high).contains(value)).ok_or_else(|| {
        ApiError::invalid(name, format!("must be a whole number from {low} to {high}, got {raw:?}"))
    })
}

pub fn window_seconds(name: &'static str, raw: Option<&str>) -> Result<u64, ApiError> {
    raw.map_or(Ok(DEFAULT_WINDOW_SECONDS), |raw| whole_number(name, raw, 1, MAX_WINDOW_SECONDS))
}

pub fn max_points(raw: Option<&str>) -> Result<usize, ApiError> {
    let points = raw.map_or(Ok(DEFAULT_MAX_POINTS), |raw| whole_number("max_points", raw, 1, MOST_POINTS))?;
    Ok(points as usize)
}

pub fn expires_seconds(raw: Option<&str>) -> Result<u64, ApiError> {
    raw.map_or(Ok(DEFAULT_EXPIRES_SECONDS), |raw| whole_number("expires", raw, 1, MAX_EXPIRES_SECONDS))
}

/// A plot's width in pixels (`MIN_WIDTH` … `MAX_WIDTH`, default `DEFAULT_WIDTH`).
pub fn plot_width(raw: Option<&str>) -> Result<u32, ApiError> {
    use crate::plot::{DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH};
    pixels("width", raw, DEFAULT_WIDTH, MIN_WIDTH, MAX_WIDTH)
}

/// A plot's height in pixels (`MIN_HEIGHT` … `MAX_HEIGHT`, default `DEFAULT_HEIGHT`).
pub fn plot_height(raw: Option<&str>) -> Result<u32, ApiError> {
    use crate::plot::{DEFAULT_HEIGHT, MAX_HEIGHT, MIN_HEIGHT};
    pixels("height", raw, DEFAULT_HEIGHT, MIN_HEIGHT, MAX_HEIGHT)
}

/// How many image pixels make a CSS pixel where the plot is shown (1 … `MAX_PIXEL_RATIO`, default 1).
pub fn plot_pixel_ratio(raw: Option<&str>) -> Result<u32, ApiError> {
    pixels("dpr", raw, 1, 1, crate::plot::MAX_PIXEL_RATIO)
}

fn pixels(name: &'static str, raw: Option<&str>, default: u32, low: u32, high: u32) -> Result<u32, ApiError> {
    let value = raw.map_or(Ok(u64::from(default)), |raw| whole_number(name, raw, low.into(), high.into()))?;
    Ok(value as u32)
}

/// A plot's scale: `fitted` (the default) or `zero`.
pub fn plot_scale(raw: Option<&str>) -> Result<crate::plot::Scale, ApiError> {
    use crate::plot::Scale;
    raw.map_or(Ok(Scale::default()), |raw| {
        Scale::parse(raw).ok_or_else(|| {
            ApiError::invalid("scale", format!("must be one of {}, got {raw:?}", Scale::NAMES.join(", ")))
        })
    })
}

/// The `bucket` query parameter, shared by every route that reads a bucket's history.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BucketQuery {
    /// A tracked bucket (default: the configured one): an S3 bucket name.
    #[param(
        example = "size-tracking-local",
        min_length = 3,
        max_length = 63,
        pattern = "^[a-z0-9][a-z0-9.-]*[a-z0-9]$"
    )]
    bucket: Option<String>,
    /// Which series of the bucket (default `current`): `current`, the versions a listing shows; or
    /// `all-versions`, every version the bucket holds, noncurrent versions and delete markers included
    /// (what S3 bills).
    #[param(value_type = Option<String>, pattern = "^(current|all-versions)$", example = "all-versions")]
    series: Option<String>,
}

/// The bucket a request names (`?bucket=`), validated, or the configured one, and its series
/// (`?series=`): the name the series' history is kept under (see [`domain::versions`]). Another bucket
/// must be tracked (listed by `/buckets`) or have a history: otherwise the request is a 404 and writes
/// nothing, so nobody can make the api store plots of buckets nobody tracks.
pub struct RequestedBucket(pub BucketName);

impl FromRequestParts<AppState> for RequestedBucket {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Params(query) = Params::<BucketQuery>::from_request_parts(parts, state).await?;
        let series = series(query.series.as_deref())?;
        let default = &state.config().default_bucket;
        let Some(raw) = query.bucket else { return Ok(Self(series.of(default))) };
        let bucket = BucketName::parse(raw).map_err(|e| ApiError::invalid("bucket", e.to_string()))?;
        if &bucket == default {
            return Ok(Self(series.of(&bucket)));
        }
        let tracked =
            state.config().tracked.contains(&bucket).await.map_err(|e| ApiError::unavailable("S3", e))?;
        if !tracked && state.history().latest(&bucket).await?.is_none() {
            return Err(ApiError::NotFound(format!(
                "bucket {bucket} is not tracked: it is not listed by /buckets and has no size history"
            )));
        }
        Ok(Self(series.of(&bucket)))
    }
}

/// A series: `current` (the default) or `all-versions`.
fn series(raw: Option<&str>) -> Result<Series, ApiError> {
    raw.map_or(Ok(Series::Current), |raw| {
        Series::parse(raw).ok_or_else(|| {
            ApiError::invalid("series", format!("must be one of {}, got {raw:?}", Series::NAMES.join(", ")))
        })
    })
}

/// A key that may be presigned: under the plots prefix, and with no `.` or `..` segments that a client
/// could normalise into another key.
pub fn plot_object_key(raw: Option<&str>) -> Result<ObjectKey, ApiError> {
    let raw = raw.unwrap_or(LATEST_PLOT_KEY);
    let key = ObjectKey::parse(raw).map_err(|e| ApiError::invalid("key", e.to_string()))?;
    if key.as_str().split('/').any(|segment| segment == "." || segment == "..") {
        return Err(ApiError::invalid("key", "must not contain `.` or `..` segments"));
    }
    if !key.as_str().starts_with(PLOTS_PREFIX) {
        return Err(ApiError::Forbidden(format!("only keys under {PLOTS_PREFIX} can be presigned")));
    }
    Ok(key)
}
