//! The layer and its builder.

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use crate::config::{Config, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_HEADER_LEN, Hops, Source, Trust};
use crate::error::ProxyError;
use crate::net::TrustedNet;
use crate::service::Proxy;

/// Applies what trusted proxies say about the client (address, scheme,
/// host, mount prefix) to each request; built by [`ProxyLayer::builder`].
///
/// ```
/// use pastry_proxy::ProxyLayer;
///
/// // nginx on the same machine, or any host on the private network:
/// let layer = ProxyLayer::builder().trust("127.0.0.1").trust("::1").trust("10.0.0.0/8").build()?;
/// // Exactly one proxy in front, whatever its address (Werkzeug's ProxyFix):
/// let layer = ProxyLayer::builder().hops(1).build()?;
/// # let _ = layer;
/// # Ok::<(), pastry_proxy::ProxyError>(())
/// ```
#[derive(Clone)]
pub struct ProxyLayer {
    config: Config,
}

impl ProxyLayer {
    /// A builder that trusts nothing yet: add addresses with
    /// [`trust`](ProxyLayerBuilder::trust) or a hop count with
    /// [`hops`](ProxyLayerBuilder::hops).
    pub fn builder() -> ProxyLayerBuilder {
        ProxyLayerBuilder::default()
    }
}

impl fmt::Debug for ProxyLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl<S> Layer<S> for ProxyLayer {
    type Service = Proxy<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Proxy::with_config(inner, self.config.clone())
    }
}

/// Collects the settings of a [`ProxyLayer`]; the setters never fail,
/// [`build`](Self::build) checks them.
#[derive(Clone, Debug)]
pub struct ProxyLayerBuilder {
    trust: Vec<String>,
    nets: Vec<TrustedNet>,
    hops: Option<Hops>,
    source: Source,
    max_entries: usize,
    max_header_len: usize,
}

impl Default for ProxyLayerBuilder {
    fn default() -> Self {
        Self {
            trust: Vec::new(),
            nets: Vec::new(),
            hops: None,
            source: Source::default(),
            max_entries: DEFAULT_MAX_ENTRIES,
            max_header_len: DEFAULT_MAX_HEADER_LEN,
        }
    }
}

impl ProxyLayerBuilder {
    /// Trusts a proxy address (`127.0.0.1`, `::1`) or a range of them
    /// (`10.0.0.0/8`, `fd00::/8`); repeatable. Headers are read only when
    /// the connection comes from a trusted address, and the chain is walked
    /// from the right through trusted addresses to the first untrusted one,
    /// the client.
    ///
    /// With trusted addresses, `X-Forwarded-For` and `X-Forwarded-Proto`
    /// are read, and `-Host`, `-Port` and `-Prefix` only when turned on with
    /// [`x_host`](Self::x_host), [`x_port`](Self::x_port),
    /// [`x_prefix`](Self::x_prefix) (any count above 0; the depth is where
    /// the walk stopped) or all at once with [`hops`](Self::hops): many
    /// proxy configurations pass a client's `X-Forwarded-Host` on
    /// untouched, and a host the client picks would end up in the links
    /// the app writes. Turn a header on only when the proxy sets or clears
    /// it.
    pub fn trust(mut self, net: impl Into<String>) -> Self {
        self.trust.push(net.into());
        self
    }

    /// [`trust`](Self::trust) with a range already parsed.
    pub fn trust_net(mut self, net: TrustedNet) -> Self {
        self.nets.push(net);
        self
    }

    /// Trusts exactly `n` proxies in front, whatever their addresses, for
    /// every header of the family (`x_for`, `x_proto`, `x_host`, `x_port`
    /// and `x_prefix` all `n`). Only right when every request comes through
    /// those proxies: a client that can reach the app directly can then
    /// claim any address. With trusted addresses, `hops(1)` turns every
    /// header of the family on.
    pub fn hops(mut self, n: usize) -> Self {
        self.hops = Some(Hops {
            for_: n,
            proto: n,
            host: n,
            port: n,
            prefix: n,
        });
        self
    }

    /// The hop count for `X-Forwarded-For` (and `Forwarded`); 0 ignores it.
    /// Setting any `x_*` count without [`trust`](Self::trust) means hop
    /// counts; the counts not set are Werkzeug `ProxyFix`'s defaults:
    /// `x_for` and `x_proto` 1, the others 0.
    pub fn x_for(mut self, n: usize) -> Self {
        self.hops.get_or_insert(Hops::PROXY_FIX).for_ = n;
        self
    }

    /// The hop count for `X-Forwarded-Proto`; 0 ignores it.
    pub fn x_proto(mut self, n: usize) -> Self {
        self.hops.get_or_insert(Hops::PROXY_FIX).proto = n;
        self
    }

    /// The hop count for `X-Forwarded-Host`; 0 ignores it.
    pub fn x_host(mut self, n: usize) -> Self {
        self.hops.get_or_insert(Hops::PROXY_FIX).host = n;
        self
    }

    /// The hop count for `X-Forwarded-Port`; 0 ignores it.
    pub fn x_port(mut self, n: usize) -> Self {
        self.hops.get_or_insert(Hops::PROXY_FIX).port = n;
        self
    }

    /// The hop count for `X-Forwarded-Prefix`; 0 ignores it.
    pub fn x_prefix(mut self, n: usize) -> Self {
        self.hops.get_or_insert(Hops::PROXY_FIX).prefix = n;
        self
    }

    /// Which header family the proxy writes: `X-Forwarded-*` (the default)
    /// or RFC 7239 `Forwarded`. The other family is ignored.
    pub fn source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// The most entries of one header read, from the right (default
    /// [`DEFAULT_MAX_ENTRIES`](crate::DEFAULT_MAX_ENTRIES)). A chain with
    /// more trusted hops than this is malformed, and ignored.
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max;
        self
    }

    /// The longest value of one header read, in bytes, all its lines
    /// together (default
    /// [`DEFAULT_MAX_HEADER_LEN`](crate::DEFAULT_MAX_HEADER_LEN)). A longer
    /// one is malformed, and the request's headers are ignored.
    pub fn max_header_len(mut self, max: usize) -> Self {
        self.max_header_len = max;
        self
    }

    /// Checks the settings and builds the layer.
    pub fn build(self) -> Result<ProxyLayer, ProxyError> {
        if self.max_entries == 0 {
            return Err(ProxyError::ZeroLimit {
                limit: "max_entries",
            });
        }
        if self.max_header_len == 0 {
            return Err(ProxyError::ZeroLimit {
                limit: "max_header_len",
            });
        }
        let mut nets = self.nets;
        for value in self.trust {
            let net = value
                .parse::<TrustedNet>()
                .map_err(|_| ProxyError::InvalidTrust { value })?;
            nets.push(net);
        }
        let trust = match (nets.is_empty(), self.hops) {
            (true, None) => return Err(ProxyError::NothingTrusted),
            (false, fields) => {
                let on = fields.unwrap_or(Hops::PROXY_FIX);
                Trust::Nets(Arc::from(nets), on)
            }
            (true, Some(hops)) => {
                if hops.max() > self.max_entries {
                    return Err(ProxyError::HopsOverLimit {
                        hops: hops.max(),
                        max: self.max_entries,
                    });
                }
                Trust::Hops(hops)
            }
        };
        Ok(ProxyLayer {
            config: Config {
                trust,
                source: self.source,
                max_entries: self.max_entries,
                max_header_len: self.max_header_len,
            },
        })
    }
}
