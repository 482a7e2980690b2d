/** What the extraction tests share. */

/** Fetches its source (or `fetch`), then prints records, garbage, or raises, as the source says. */
export const EXTRACT_SCRIPT = `import json, os, sys, urllib.request
source = json.load(sys.stdin)
url = source.get("fetch", os.environ["SOURCE_URL"])
with urllib.request.urlopen(url, timeout=10) as response:
    data = json.load(response)
mode = source.get("mode", "ok")
if mode == "garbage":
    print("Done scraping, no JSON here")
elif mode == "crash":
    raise ValueError("no price on page %s" % source["id"])
else:
    print(json.dumps([{"id": source["id"], "item": item, "host": data["host"], "src": os.environ["SOURCE_URL"]} for item in data["items"]]))
`;
