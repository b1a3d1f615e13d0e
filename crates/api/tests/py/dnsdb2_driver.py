"""Drives the real dnsdb2 client for the integration tests.

Reads {"key", "server", "client": {...}, "ops": [{"method", "args", "kwargs"}]} as JSON
on stdin; for each op prints what the client returned: the records it yielded (also
those yielded before an exception), its return value, or the exception's class name (or SSLError when
the server's certificate is not trusted).
"""

import json
import sys

import dnsdb2
import requests


def main():
    req = json.load(sys.stdin)
    client = dnsdb2.Client(req["key"], server=req["server"], **req.get("client", {}))
    out = []
    for op in req["ops"]:
        result = {"records": [], "error": None}
        try:
            value = getattr(client, op["method"])(*op.get("args", []), **op.get("kwargs", {}))
            if isinstance(value, (dict, bool)):
                result["value"] = value
            else:
                for record in value:
                    result["records"].append(record)
        except dnsdb2.DnsdbException as e:
            result["error"] = type(e).__name__
            result["message"] = str(e)
        except requests.exceptions.SSLError as e:
            result["error"] = "SSLError"
            result["message"] = str(e)
        out.append(result)
    client.close()
    json.dump(out, sys.stdout)


main()
