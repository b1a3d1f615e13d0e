"""Drives the real pypdns client for the integration tests.

Reads {"url", "basic_auth": [user, password] | null, "auth_header": [name, value] | null,
"ops": [{"method": "query" | "rfc_query" | "iter_query", "q", "filter_rrtype"}]} as JSON
on stdin. Prints, per op, the records (raw COF dicts; `query`'s datetimes as epoch
seconds), the pages the client fetched (request cursor, response cursor, lines), or the
exception's class name.
"""

import json
import sys

import pypdns


def main():
    req = json.load(sys.stdin)
    kwargs = {}
    if req.get("basic_auth"):
        kwargs["basic_auth"] = tuple(req["basic_auth"])
    if req.get("auth_header"):
        kwargs["auth_header"] = tuple(req["auth_header"])
    client = pypdns.PyPDNS(url=req["url"], **kwargs)

    pages = []
    real_get = client.session.get

    def recording_get(url, **kw):
        response = real_get(url, **kw)
        pages.append({
            "cursor_sent": (kw.get("headers") or {}).get("dribble-paginate-cursor"),
            "cursor_received": response.headers.get("x-dribble-cursor"),
            "lines": len([l for l in response.text.split("\n") if l]),
            "status": response.status_code,
        })
        return response

    client.session.get = recording_get
    out = []
    for op in req["ops"]:
        pages.clear()
        result = {"records": [], "error": None}
        try:
            method = op["method"]
            if method == "query":
                for record in client.query(op["q"]):
                    record = dict(record)
                    record["time_first"] = int(record["time_first"].timestamp())
                    record["time_last"] = int(record["time_last"].timestamp())
                    result["records"].append(record)
            elif method == "rfc_query":
                for record in client.rfc_query(op["q"], filter_rrtype=op.get("filter_rrtype")):
                    result["records"].append(record.raw)
                    result.setdefault("typed", []).append(record.rrtype)
            elif method == "iter_query":
                for record in client.iter_query(op["q"], filter_rrtype=op.get("filter_rrtype")):
                    result["records"].append(record.raw)
            else:
                raise ValueError(method)
        except pypdns.PDNSError as e:
            result["error"] = type(e).__name__
        result["pages"] = list(pages)
        out.append(result)
    json.dump(out, sys.stdout)


main()
