//! Convenience builders over hickory-proto for DNS queries, responses and records, plus
//! in-place patches of encoded messages (ID, 0x20 case randomisation).
//!
//! Names and addresses are given in presentation form (`"www.example.com"`, `"192.0.2.1"`);
//! names are made fully qualified whether or not they end in a dot and keep their case.
//!
//! ```
//! use hearsay_gen::dns::{self, Response};
//! use hickory_proto::op::{Message, ResponseCode};
//! use hickory_proto::rr::RecordType;
//!
//! let wire = Response::new(7, "www.example.com", RecordType::A)?
//!     .authoritative(true)
//!     .answer(dns::cname("www.example.com", "web.example.net", 300)?)
//!     .answer(dns::a("web.example.net", "192.0.2.1", 60)?)
//!     .to_bytes()?;
//! let msg = Message::from_vec(&wire)?;
//! assert_eq!(msg.metadata.id, 7);
//! assert_eq!(msg.metadata.response_code, ResponseCode::NoError);
//! assert_eq!(msg.answers.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod addr;
mod message;
mod name;
mod patch;
mod records;

pub use addr::{IntoV4, IntoV6};
pub use message::{Response, query, query_message};
pub use name::{IntoName, mix_case};
pub use patch::{mix_qname_case, question_end, set_id};
pub use records::{
    SoaTimers, SvcParams, a, aaaa, caa, cname, dname, https, mx, ns, ptr, raw, soa, soa_with, srv,
    svcb, txt,
};
