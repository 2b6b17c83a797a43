//! What can go wrong in the HTTP gateway.

/// Errors of the HTTP gateway; each becomes a clear JSON answer to the client.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// A route rule or target could not be compiled.
    #[error("connection {connection}: {message}")]
    Config {
        /// The connection.
        connection: String,
        /// What is wrong.
        message: String,
    },
    /// The request body is larger than the configured bound.
    #[error("request body larger than {limit} bytes")]
    RequestTooLarge {
        /// The bound.
        limit: usize,
    },
    /// The response body to mask as a whole is larger than the configured bound.
    #[error("response body larger than {limit} bytes cannot be masked")]
    ResponseTooLarge {
        /// The bound.
        limit: usize,
    },
    /// A server-sent event is larger than the bound for one event.
    #[error("server-sent event larger than {limit} bytes")]
    EventTooLarge {
        /// The bound.
        limit: usize,
    },
    /// The request path could be read differently by the upstream than by the route rules.
    #[error("the request path holds {0}; send the path as the upstream should see it")]
    BadPath(&'static str),
    /// The request carries a header or field some upstreams obey over the method or path.
    #[error(
        "the request carries {0}, which some servers obey over the method or path Warden checks; send the real method and path instead"
    )]
    Override(&'static str),
    /// A body bound for a model provider that cannot be masked without damaging it.
    #[error(
        "the request body bound for a model provider {0}, so it cannot be masked; send text, JSON or form fields"
    )]
    Unmaskable(String),
    /// A form body Warden must read that breaks its format.
    #[error("the multipart request body {0}")]
    BadForm(String),
    /// A request body Warden must read (an LLM request, a prompt to mask) is compressed.
    #[error(
        "the request body is {0}-encoded; send it uncompressed so Warden can read the model it asks for and mask it"
    )]
    RequestEncoded(String),
    /// An LLM request whose body cannot be read as the API's JSON.
    #[error("the request body {0}, so the model it asks for cannot be checked")]
    LlmRequest(String),
    /// Reading a body failed.
    #[error("reading the {side} body: {message}")]
    Body {
        /// `request` or `response`.
        side: &'static str,
        /// What happened.
        message: String,
    },
    /// The upstream could not be reached or failed.
    #[error("upstream {connection} failed: {message}")]
    Upstream {
        /// The connection.
        connection: String,
        /// What happened.
        message: String,
    },
    /// The upstream did not answer in time.
    #[error("upstream {connection} did not answer within {seconds} s")]
    UpstreamTimeout {
        /// The connection.
        connection: String,
        /// The bound.
        seconds: u64,
    },
    /// Socket or TLS failure on the client side.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
