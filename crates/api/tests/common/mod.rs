//! Shared by the integration tests: a store with the paper's traffic (and a few
//! synthetic records for pagination), an in-process server on 127.0.0.1:0, a tiny raw
//! HTTP/1.1 client, and the Python client drivers.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use hearsay_api::{ApiConfig, ApiKeyConfig, StatsHandle};
use hearsay_gen::frame::Link;
use hearsay_gen::paper;
use hearsay_gen::pcap::PcapWriter;
use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
use hearsay_store::Store;

/// The key every test server accepts.
pub const KEY: &str = "test-key-0123456789abcdef";
/// A named key, for Basic authentication.
pub const USER: &str = "analyst";
pub const USER_KEY: &str = "analyst-key-0123456789ab";

/// Synthetic records: 120 names on one address (IP pagination), a name server with 70
/// addresses that 60 zones delegate to (pagination across a name's own records and
/// the records pointing at it), and `odd.pages.example` of the unknown type 65280.
pub const PAGES_ADDR: &str = "198.51.100.77";
pub const PAGES_NS: &str = "ns.pages.example";

/// Writes every paper scenario, in time order, as `dir/paper.pcap`.
pub fn paper_pcap(dir: &Path) -> PathBuf {
    let mut packets = Vec::new();
    for s in paper::scenarios().unwrap() {
        packets.extend(paper::frames(&s).unwrap());
    }
    packets.sort_by_key(|p| p.ts);
    let pcap = dir.join("paper.pcap");
    let mut w = PcapWriter::new(
        std::fs::File::create(&pcap).unwrap(),
        Link::ethernet().linktype(),
    )
    .unwrap();
    for p in &packets {
        w.write_packet(p).unwrap();
    }
    w.finish().unwrap();
    pcap
}

/// A store with every paper scenario imported from a pcap (bailiwicks known: the
/// sensor sits above the resolver), plus the synthetic records.
pub fn paper_store(dir: &Path) -> Arc<Store> {
    let pcap = paper_pcap(dir);
    let store = Arc::new(Store::open(&dir.join("data"), Default::default()).unwrap());
    let config = hearsay_ingest::PipelineConfig {
        placement: hearsay_ingest::Placement::Above,
        ..Default::default()
    };
    hearsay_ingest::import_files(Arc::clone(&store), &[pcap], config, &mut |_| {}).unwrap();
    store.apply_local(synthetic()).unwrap();
    store
}

fn n(s: &str) -> Name {
    Name::from_presentation(s).unwrap()
}

fn synthetic() -> Vec<(Vec<u8>, Sighting)> {
    let mut out = Vec::new();
    let base = 1_300_000_000u64;
    let seen = |i: u64| Sighting {
        time_first: base + i * 60,
        time_last: base + i * 60 + 3600,
        count: i + 1,
    };
    let addr: std::net::Ipv4Addr = PAGES_ADDR.parse().unwrap();
    for i in 0..120u64 {
        let key = RecordKey::new(
            n(&format!("host{i}.pages.example")),
            RrType::A,
            Bailiwick::Unknown,
            addr.octets().to_vec(),
        )
        .unwrap();
        out.push((key.encode(), seen(i)));
    }
    for i in 0..70u64 {
        let key = RecordKey::new(
            n(PAGES_NS),
            RrType::A,
            Bailiwick::Unknown,
            vec![203, 0, 113, i as u8],
        )
        .unwrap();
        out.push((key.encode(), seen(i)));
    }
    let odd = RecordKey::new(
        n("odd.pages.example"),
        RrType(65280),
        Bailiwick::Zone(n("pages.example")),
        vec![1, 2, 3],
    )
    .unwrap();
    out.push((odd.encode(), seen(7)));
    for i in 0..60u64 {
        let key = RecordKey::new(
            n(&format!("zone{i}.example")),
            RrType::NS,
            Bailiwick::Unknown,
            n(PAGES_NS).as_wire().to_vec(),
        )
        .unwrap();
        out.push((key.encode(), seen(i)));
    }
    out
}

/// A test configuration: port 0, the two keys.
pub fn config() -> ApiConfig {
    let mut named = ApiKeyConfig::new(USER_KEY);
    named.name = Some(USER.into());
    ApiConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![ApiKeyConfig::new(KEY), named],
        ..Default::default()
    }
}

/// A server running on its own runtime thread; stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stats: StatsHandle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(store: Arc<Store>, config: ApiConfig) -> TestServer {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = hearsay_api::bind(store, config).await.unwrap();
                ready_tx
                    .send((server.local_addr(), server.stats()))
                    .unwrap();
                server
                    .run(async {
                        stopped.await.ok();
                    })
                    .await
                    .unwrap();
            });
        });
        let (addr, stats) = ready_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        TestServer {
            addr,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON lines.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{:?}: {e}", self.body))
    }
}

/// Sends `GET target` with extra header lines and reads the whole response
/// (`Connection: close`; chunked bodies are decoded). Panics after 20 s.
pub fn get(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    raw(addr, request.as_bytes())
}

/// `get` with the test key.
pub fn get_keyed(addr: SocketAddr, target: &str) -> Response {
    get(addr, target, &[("X-API-Key", KEY)])
}

/// Sends raw bytes and parses the response.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.write_all(request).unwrap();
    let mut bytes = Vec::new();
    tcp.read_to_end(&mut bytes)
        .expect("the server answers and closes within 20 s");
    parse_response(&bytes)
}

fn parse_response(bytes: &[u8]) -> Response {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete header");
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            panic!("truncated chunked body");
        };
        let size_text = std::str::from_utf8(&data[..eol]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Fails unless the Python clients are installed.
pub fn require_python_clients() {
    let ok = Command::new("python3")
        .args(["-c", "import dnsdb2, pypdns"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the Python clients dnsdb2 and pypdns are not installed for python3: run .ci/run \
         (or `python3 -m pip install -r crates/api/tests/py/requirements.txt`)"
    );
}

/// Runs `crates/api/tests/py/<script>` with `input` as JSON on stdin; returns its JSON
/// output.
pub fn python(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "py", script]
        .iter()
        .collect();
    let mut child = Command::new("python3")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{script}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A record as the tests compare them: name, type, rdata, first, last, count.
pub type Rec = (String, String, String, u64, u64, u64);

/// What the query engine itself answers for a lookup (the ground truth the HTTP
/// answers are held against), in its order.
pub fn truth(store: &Store, query: &hearsay_query::Query) -> Vec<Rec> {
    let mut out = Vec::new();
    hearsay_query::run(&store.view(), query, &mut |r| {
        out.push((
            r.key.rrname.to_string(),
            r.key.rrtype.to_string(),
            hearsay_record::rdata::present(r.key.rrtype, &r.key.rdata),
            r.time_first,
            r.time_last,
            r.count,
        ));
        hearsay_query::Flow::Continue
    })
    .unwrap();
    out
}

/// A DNSDB or COF object as a [`Rec`] (`rdata` an array of one, or a string).
pub fn rec(v: &serde_json::Value) -> Rec {
    let rdata = match &v["rdata"] {
        serde_json::Value::Array(a) => {
            assert_eq!(a.len(), 1, "{v}");
            a[0].as_str().unwrap().to_owned()
        }
        other => other.as_str().unwrap().to_owned(),
    };
    let rrtype = match &v["rrtype"] {
        serde_json::Value::Number(n) => format!("TYPE{n}"),
        other => other.as_str().unwrap().to_owned(),
    };
    (
        v["rrname"].as_str().unwrap().to_owned(),
        rrtype,
        rdata,
        v["time_first"].as_u64().unwrap(),
        v["time_last"].as_u64().unwrap(),
        v["count"].as_u64().unwrap(),
    )
}
