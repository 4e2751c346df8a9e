#!/usr/bin/env python3
"""Loads a page in headless Chromium over the DevTools protocol and checks it like a person would.

It opens URL, lets it run for --seconds (the status page keeps a server-sent-events stream open,
so "page loaded" is not the moment to look), then fails if the page logged a console error or
threw, or if its visible text shows any --reject string. With --token it then types the token
into the page's login field, as a person would, and looks again. It fails if the final visible
text lacks any --expect string; and saves a screenshot of the final page.

Usage: status_page_check.py URL --expect TEXT [--expect TEXT ...] [--reject TEXT ...] [--token T]
       --screenshot out.png [--seconds 4]
Needs: chromium (Debian package), websocket-client (PyPI).
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--token")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()

    profile = tempfile.mkdtemp(prefix="status-page-")
    browser = subprocess.Popen(
        [shutil.which("chromium") or "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--window-size=1280,1000", f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline:
                raise SystemExit("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(p for p in pages if p.get("type") == "page")
        socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=10)
        counter = [0]

        def send(method, params=None):
            counter[0] += 1
            socket.send(json.dumps({"id": counter[0], "method": method, "params": params or {}}))
            return counter[0]

        problems = []

        def handle(message):
            method = message.get("method")
            params = message.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                problems.append("exception: " + details.get("exception", {}).get("description", details.get("text", "?")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                problems.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                problems.append(f"log error: {entry.get('text')} {entry.get('url', '')}")

        def wait_for(request_id, until):
            while time.time() < until:
                socket.settimeout(max(0.05, until - time.time()))
                try:
                    message = json.loads(socket.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if message.get("id") == request_id:
                    return message
                handle(message)
            return None

        for domain in ("Runtime.enable", "Page.enable", "Log.enable"):
            wait_for(send(domain), time.time() + 10)
        wait_for(send("Page.navigate", {"url": args.url}), time.time() + 10)
        wait_for(-1, time.time() + args.seconds)  # let it run, collecting console output

        def visible_text():
            text = wait_for(send("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True}), time.time() + 10)
            return text["result"]["result"].get("value", "") if text else ""

        visible = visible_text()
        for rejected in args.reject:
            if rejected in visible:
                problems.append(f"the page shows {rejected!r} before logging in")
        if args.token is not None:
            fill = ("document.getElementById('token').value = " + json.dumps(args.token) + ";"
                    "document.querySelector('#login button').click();")
            wait_for(send("Runtime.evaluate", {"expression": fill}), time.time() + 10)
            wait_for(-1, time.time() + args.seconds)
            visible = visible_text()
        shot = wait_for(send("Page.captureScreenshot", {"format": "png"}), time.time() + 20)
        if shot and "result" in shot:
            with open(args.screenshot, "wb") as file:
                file.write(base64.b64decode(shot["result"]["data"]))
        else:
            problems.append("no screenshot")
        for expected in args.expect:
            if expected not in visible:
                problems.append(f"the page does not show {expected!r}")
        socket.close()
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps({"visibleText": visible[:2000], "problems": problems, "screenshot": args.screenshot}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
