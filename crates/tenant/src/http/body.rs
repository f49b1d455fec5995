//! Reading an answer's body chunk by chunk, never past a limit, so that a hostile or broken
//! server cannot make us hold an unbounded body.

/// The default cap on one answer's body: far above any real page.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The answer is larger than the cap (said by `Content-Length`, or found while reading).
    #[error("the answer is larger than {limit} bytes (the client's limit); it was not read")]
    TooLarge { limit: u64 },
    /// The connection failed while reading.
    #[error("reading the answer: {0}")]
    Transport(#[source] reqwest::Error),
}

/// The body of `response`, at most `limit` bytes; refused before reading when its
/// `Content-Length` is already larger.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| BodyError::Transport(e.without_url()))?
    {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
