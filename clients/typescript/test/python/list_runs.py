"""What the Python client sees: every run of a ListRuns call, walked page by page
with the generated stubs. Arguments: TARGET and a JSON object with parent, filter,
order_by, page_size and optionally token. Prints {"names": [...], "total_size": N}."""

import json
import sys

import grpc

from runyard.v1 import run_service_pb2, run_service_pb2_grpc


def main() -> None:
    target, raw = sys.argv[1], json.loads(sys.argv[2])
    token = raw.pop("token", None)
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    names: list[str] = []
    total = -1
    with grpc.insecure_channel(target) as channel:
        runs = run_service_pb2_grpc.RunServiceStub(channel)
        request = run_service_pb2.ListRunsRequest(show_total_size=True, **raw)
        while True:
            page = runs.ListRuns(request, metadata=metadata, timeout=30)
            names.extend(r.name for r in page.runs)
            total = page.total_size if total < 0 else total
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
    print(json.dumps({"names": names, "total_size": total}))


if __name__ == "__main__":
    main()
