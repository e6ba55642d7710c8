//! Every failure the api answers with, mapped to a status and a JSON body in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"error": "invalid_parameter", "detail": "window: must be a whole number of seconds from 1 to 2678400, got \"abc\""}))]
pub struct ErrorBody {
    /// A stable code: `invalid_parameter`, `forbidden`, `not_found`, `unavailable`, `internal`,
    /// `timeout`, `payload_too_large`, `method_not_allowed`, `not_acceptable`.
    pub error: String,
    /// What was wrong, for people.
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{name}: {detail}")]
    InvalidParameter { name: &'static str, detail: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The `Accept` header admits none of the media types the route answers in.
    #[error("{0}")]
    NotAcceptable(String),
    /// The store or S3 failed; trying again may work. The cause is logged, never sent.
    #[error("{what} unavailable")]
    Unavailable {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Something that trying again will not mend: the plot could not be rendered, or a stored row is
    /// malformed. The cause is logged, never sent.
    #[error("{what} failed")]
    Internal {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ApiError {
    pub fn invalid(name: &'static str, detail: impl Into<String>) -> Self {
        Self::InvalidParameter { name, detail: detail.into() }
    }

    pub fn unavailable(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable { what, source: source.into() }
    }

    pub fn internal(what: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal { what, source: source.into() }
    }
}

impl From<domain::StoreError> for ApiError {
    fn from(error: domain::StoreError) -> Self {
        if is_corrupt(&error) {
            Self::internal("reading the size history", error)
        } else {
            Self::unavailable("the size history", error)
        }
    }
}

/// Whether the store failed on a malformed row (which no retry mends), itself or shared by a batch.
fn is_corrupt(error: &domain::StoreError) -> bool {
    match error {
        domain::StoreError::Corrupt { .. } => true,
        domain::StoreError::Shared(inner) => is_corrupt(inner),
        _ => false,
    }
}

/// A JSON error answer.
pub fn error_response(status: StatusCode, error: &str, detail: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: error.to_owned(), detail: detail.into() })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidParameter { .. } => {
                error_response(StatusCode::BAD_REQUEST, "invalid_parameter", self.to_string())
            }
            Self::Forbidden(detail) => error_response(StatusCode::FORBIDDEN, "forbidden", detail),
            Self::NotFound(detail) => error_response(StatusCode::NOT_FOUND, "not_found", detail),
            Self::NotAcceptable(detail) => {
                error_response(StatusCode::NOT_ACCEPTABLE, "not_acceptable", detail)
            }
            Self::Unavailable { what, source } => {
                tracing::error!(what, cause = %domain::ErrorChain(source.as_ref()), "dependency failed");
                error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    format!("{what} is unavailable; try again shortly"),
                )
            }
            Self::Internal { what, source } => {
                tracing::error!(what, cause = %domain::ErrorChain(source.as_ref()), "internal failure");
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{what} failed"))
            }
        }
    }
}
