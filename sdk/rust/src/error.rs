//! The errors of the SDK: a server's refusal, no answer at all, or misuse.

use std::error::Error as StdError;
use std::fmt;

/// What went wrong with a request (or with building a client).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server refused the request and said why
    /// (`{"error": {"code", "message", "field"}}`): 400 invalid field,
    /// 401 unknown token, 403 scope or monitor limit, 404 unknown monitor or
    /// check-in, 413, 415, or 503 (storage unreachable: nothing was recorded).
    Api {
        /// HTTP status, e.g. 401.
        status: u16,
        /// Machine-readable code, e.g. `unauthorized` or `invalid_field`.
        code: String,
        /// What the server said.
        message: String,
        /// The request member or header at fault, e.g. `environment`.
        field: Option<String>,
    },
    /// No answer: the server could not be reached (refused, DNS, TLS, reset)
    /// or did not answer within the client's timeout.  The check-in may or
    /// may not have been recorded.
    Network(NetworkError),
    /// The SDK was used wrongly: a missing API key, a base URL that is not
    /// http(s), a crash event id the server would refuse.
    InvalidArgument(String),
}

impl Error {
    /// The HTTP status of an [`Error::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The answer of a non-2xx response, from its JSON error body when it has one.
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Error {
        #[derive(serde::Deserialize)]
        struct Body {
            error: Detail,
        }
        #[derive(serde::Deserialize)]
        struct Detail {
            code: String,
            message: String,
            field: Option<String>,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(Body { error: d }) => Error::Api {
                status,
                code: d.code,
                message: d.message,
                field: d.field,
            },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                Error::Api {
                    status,
                    code: format!("http_{}", status),
                    message: text.chars().take(200).collect(),
                    field: None,
                }
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                status,
                code,
                message,
                field,
            } => {
                write!(f, "{} {}: {}", status, code, message)?;
                match field {
                    Some(field) => write!(f, " (field {})", field),
                    None => Ok(()),
                }
            }
            Error::Network(e) => e.fmt(f),
            Error::InvalidArgument(why) => f.write_str(why),
        }
    }
}

// Display already carries every cause (see NetworkError), so no source():
// error reporters that print the chain would say it twice.
impl StdError for Error {}

/// Why a request got no answer.
#[derive(Debug)]
pub struct NetworkError {
    inner: reqwest::Error,
}

impl NetworkError {
    pub(crate) fn new(inner: reqwest::Error) -> NetworkError {
        NetworkError { inner }
    }

    /// True when the request was abandoned after the client's timeout.
    pub fn is_timeout(&self) -> bool {
        self.inner.is_timeout()
    }

    /// True when no connection could be made (refused, unreachable, DNS, TLS).
    pub fn is_connect(&self) -> bool {
        self.inner.is_connect()
    }
}

impl fmt::Display for NetworkError {
    /// reqwest's own message ("error sending request for url (...)") and
    /// every cause after it ("...: Connection refused (os error 111)"),
    /// each once: reqwest and hyper already print some of their causes
    /// in their own messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.inner.to_string();
        let mut cause = self.inner.source();
        while let Some(c) = cause {
            let said = c.to_string();
            if !text.contains(&said) {
                text = format!("{}: {}", text, said);
            }
            cause = c.source();
        }
        f.write_str(&text)
    }
}

impl StdError for NetworkError {}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Error {
        Error::Network(NetworkError::new(e))
    }
}
