# The Jupyter side of `npm run bench`'s notebook comparison: starts an IPython kernel (Debian's
# python3-ipykernel) with no isolation at all, and serves `npm run bench`'s requests on stdin, one per
# line: the name of a cell to run. Each answer is a line `ok <ms>` (the client's round trip: execute
# request sent -> the kernel is idle again with the reply in), or `error <message>`.
# Usage: python3 jupyter_kernel.py <work dir>      (the kernel's cwd, where data.csv is)
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

CELLS = {
    "setup": "import pandas as pd",
    "print": "print(1)",
    "pandas": 'df = pd.read_csv("data.csv")\nprint(df.describe().to_json())\nprint(df.corr().to_json())',
}


def run(client, code):
    started = time.perf_counter()
    msg_id = client.execute(code, store_history=False)
    reply = client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=30)
    while True:  # the output arrives on iopub; the cell is over when the kernel says idle
        message = client.get_iopub_msg(timeout=30)
        if (message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"):
            break
    elapsed = (time.perf_counter() - started) * 1000
    if reply["content"]["status"] != "ok":
        raise RuntimeError(reply["content"].get("evalue", "the cell failed"))
    return elapsed


def main():
    manager, client = start_new_kernel(kernel_name="python3", cwd=sys.argv[1])
    try:
        run(client, CELLS["setup"])
        print("ready", flush=True)
        for line in sys.stdin:
            name = line.strip()
            try:
                print("ok %.4f" % run(client, CELLS[name]), flush=True)
            except Exception as err:  # reported to the bench, which fails the figure
                print("error %s" % json.dumps(str(err)), flush=True)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
