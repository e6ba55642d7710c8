//! Checks a PutObject or UploadPart body against the digests its request carries (Content-MD5, and
//! x-amz-checksum-* in headers or trailers) before the storage sees it.
//!
//! s3s-fs compares a PutObject's only after it has renamed the new file over the stored object, so a write
//! it refuses would still replace the object, unannounced; and it checks an UploadPart's not at all. Here the body is spooled to an unnamed temporary
//! file while it is hashed, and only a body that matches every digest is handed on, read back from the
//! spool, with the checksums it was sent with (so the storage records the same ones).

use std::path::Path;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::{Checksum, ChecksumAlgorithm, PutObjectInput, StreamingBlob, UploadPartInput};
use s3s::{S3Error, S3ErrorCode, S3Result, TrailingHeaders, s3_error};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// How much of the spool is read back at once.
const READ_CHUNK: usize = 64 * 1024;

/// The checksum algorithms S3 knows: their name, header, and digest size in bytes.
const ALGORITHMS: [(&str, &str, usize); 5] = [
    (ChecksumAlgorithm::CRC32, "x-amz-checksum-crc32", 4),
    (ChecksumAlgorithm::CRC32C, "x-amz-checksum-crc32c", 4),
    (ChecksumAlgorithm::SHA1, "x-amz-checksum-sha1", 20),
    (ChecksumAlgorithm::SHA256, "x-amz-checksum-sha256", 32),
    (ChecksumAlgorithm::CRC64NVME, "x-amz-checksum-crc64nvme", 8),
];

/// The fields of a request with a body and its digests.
pub(crate) struct Digests<'a> {
    body: &'a mut Option<StreamingBlob>,
    content_md5: &'a Option<String>,
    algorithm: &'a Option<ChecksumAlgorithm>,
    checksums: [&'a mut Option<String>; 5],
}

/// A request whose body carries digests.
pub(crate) trait Digested {
    fn digests(&mut self) -> Digests<'_>;
}

macro_rules! digested {
    ($($input:ty),*) => {$(
        impl Digested for $input {
            fn digests(&mut self) -> Digests<'_> {
                Digests {
                    body: &mut self.body,
                    content_md5: &self.content_md5,
                    algorithm: &self.checksum_algorithm,
                    // In the order of ALGORITHMS.
                    checksums: [
                        &mut self.checksum_crc32,
                        &mut self.checksum_crc32c,
                        &mut self.checksum_sha1,
                        &mut self.checksum_sha256,
                        &mut self.checksum_crc64nvme,
                    ],
                }
            }
        }
    )*};
}

digested!(PutObjectInput, UploadPartInput);

/// Reads the whole body of `input` into a spool in `spool_dir`, and answers S3's error if it does not match
/// a digest the request carries. Otherwise returns the input with its body read back from the spool and
/// every checksum the storage computes filled in (from the trailers, or as computed when none was sent).
pub(crate) async fn verified<I: Digested>(
    mut input: I,
    trailers: Option<TrailingHeaders>,
    spool_dir: &Path,
) -> S3Result<I> {
    let fields = input.digests();
    let Some(body) = fields.body.take() else { return Err(s3_error!(IncompleteBody)) };
    if let Some(md5) = fields.content_md5
        && !is_base64_of(md5, 16)
    {
        return Err(s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid."));
    }
    let mut sent = sent_checksums(&fields);
    for (name, header, size) in ALGORITHMS {
        if field(&mut sent, name).as_ref().is_some_and(|value| !is_base64_of(value, size)) {
            return Err(s3_error!(InvalidRequest, "Value for {header} header is invalid."));
        }
    }
    let mut hasher = hasher_for(&sent, fields.algorithm.as_ref())?;

    let mut md5 = Md5::new();
    let mut spool = open_spool(spool_dir).await?;
    let mut body = body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|error| S3Error::with_source(S3ErrorCode::IncompleteBody, error))?;
        md5.update(&chunk);
        hasher.update(&chunk);
        spool.write_all(&chunk).await.map_err(spool_error)?;
    }
    spool.flush().await.map_err(spool_error)?;
    spool.rewind().await.map_err(spool_error)?;

    if let Some(expected) = fields.content_md5
        && *expected != base64(&md5.finalize())
    {
        return Err(s3_error!(BadDigest, "The Content-MD5 you specified did not match what we received."));
    }
    add_trailing(&mut sent, trailers)?;
    let mut computed = hasher.finalize();
    for (name, _, _) in ALGORITHMS {
        let computed = field(&mut computed, name).take();
        let sent = field(&mut sent, name);
        match sent {
            None => *sent = computed,
            Some(value) if computed.as_ref() == Some(value) => {}
            Some(_) => {
                return Err(s3_error!(
                    BadDigest,
                    "The {name} you specified did not match the calculated checksum."
                ));
            }
        }
    }
    let Digests { body: stored_body, checksums, .. } = fields;
    for ((name, _, _), stored) in ALGORITHMS.iter().zip(checksums) {
        *stored = field(&mut sent, name).take();
    }
    *stored_body = Some(StreamingBlob::wrap(read_back(spool)));
    Ok(input)
}

fn sent_checksums(fields: &Digests<'_>) -> Checksum {
    let mut sent = Checksum::default();
    for ((name, _, _), value) in ALGORITHMS.iter().zip(&fields.checksums) {
        *field(&mut sent, name) = (**value).clone();
    }
    sent
}

/// The field of `checksum` that holds the algorithm `name`.
fn field<'a>(checksum: &'a mut Checksum, name: &str) -> &'a mut Option<String> {
    match name {
        ChecksumAlgorithm::CRC32 => &mut checksum.checksum_crc32,
        ChecksumAlgorithm::CRC32C => &mut checksum.checksum_crc32c,
        ChecksumAlgorithm::SHA1 => &mut checksum.checksum_sha1,
        ChecksumAlgorithm::SHA256 => &mut checksum.checksum_sha256,
        _ => &mut checksum.checksum_crc64nvme,
    }
}

/// A hasher for each checksum sent in a header, and for the announced algorithm (its value may come in a
/// trailer), as the storage computes them.
fn hasher_for(sent: &Checksum, algorithm: Option<&ChecksumAlgorithm>) -> S3Result<ChecksumHasher> {
    let mut hasher = ChecksumHasher::default();
    let announced = algorithm.map(ChecksumAlgorithm::as_str);
    let wanted = |name: &str, value: &Option<String>| value.is_some() || announced == Some(name);
    if wanted(ChecksumAlgorithm::CRC32, &sent.checksum_crc32) {
        hasher.crc32 = Some(Default::default());
    }
    if wanted(ChecksumAlgorithm::CRC32C, &sent.checksum_crc32c) {
        hasher.crc32c = Some(Default::default());
    }
    if wanted(ChecksumAlgorithm::SHA1, &sent.checksum_sha1) {
        hasher.sha1 = Some(Default::default());
    }
    if wanted(ChecksumAlgorithm::SHA256, &sent.checksum_sha256) {
        hasher.sha256 = Some(Default::default());
    }
    if wanted(ChecksumAlgorithm::CRC64NVME, &sent.checksum_crc64nvme) {
        hasher.crc64nvme = Some(Default::default());
    }
    match announced {
        Some(name) if !ALGORITHMS.iter().any(|(known, _, _)| *known == name) => {
            Err(s3_error!(NotImplemented, "Unsupported checksum algorithm"))
        }
        _ => Ok(hasher),
    }
}

/// The checksums the body's trailers carry, which arrive once the body has been read.
fn add_trailing(sent: &mut Checksum, trailers: Option<TrailingHeaders>) -> S3Result<()> {
    let Some(trailers) = trailers.and_then(|trailers| trailers.take()) else { return Ok(()) };
    for (name, header, _) in ALGORITHMS {
        if let Some(value) = trailers.get(header) {
            let value = value
                .to_str()
                .map_err(|_| s3_error!(InvalidRequest, "Value for {header} trailer is invalid."))?;
            *field(sent, name) = Some(value.to_owned());
        }
    }
    Ok(())
}

async fn open_spool(dir: &Path) -> S3Result<tokio::fs::File> {
    let dir = dir.to_owned();
    let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
        .await
        .map_err(S3Error::internal_error)?
        .map_err(spool_error)?;
    Ok(tokio::fs::File::from_std(file))
}

fn spool_error(error: std::io::Error) -> S3Error {
    tracing::error!(%error, "cannot spool a request body");
    S3Error::internal_error(error)
}

fn read_back(spool: tokio::fs::File) -> impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static {
    futures::stream::try_unfold(spool, |mut spool| async move {
        let mut chunk = vec![0; READ_CHUNK];
        let read = spool.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        chunk.truncate(read);
        Ok(Some((Bytes::from(chunk), spool)))
    })
}

/// Whether `value` is the padded standard base64 of `size` bytes, as S3 writes digests.
fn is_base64_of(value: &str, size: usize) -> bool {
    let length = size.div_ceil(3) * 4;
    let padding = (3 - size % 3) % 3;
    let (data, pad) = value.as_bytes().split_at(value.len().min(length - padding));
    value.len() == length
        && data.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'+' || *byte == b'/')
        && pad.iter().all(|byte| *byte == b'=')
}

/// Padded standard base64.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group.iter().enumerate().fold(0_u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_the_standard_padded_one() {
        assert_eq!(base64(&Md5::checksum(b"")), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn digests_of_the_wrong_size_or_alphabet_are_malformed() {
        assert!(is_base64_of("1B2M2Y8AsgTpgAmY7PhCfg==", 16));
        assert!(is_base64_of("es8uiQ==", 4));
        assert!(is_base64_of("AAAAAAAAAAA=", 8));
        for malformed in ["", "es8uiQ=", "es8uiQ===", "es8u!Q==", "es8uiQ=A", "1B2M2Y8AsgTpgAmY7PhCfg=="] {
            assert!(!is_base64_of(malformed, 4), "{malformed}");
        }
    }
}
