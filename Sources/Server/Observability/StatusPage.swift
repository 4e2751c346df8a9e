import CallRecords
import Foundation
import Hummingbird
import NIOCore

/// The live status page at `GET /`: this instance's calls, health and peers, latency histograms
/// drawn as bar charts, and recent calls; one self-contained HTML file (no CDN, works offline)
/// fed by server-sent events from `GET /status/events`.
///
/// Anyone may see the aggregate figures; the recent calls (call SIDs, called numbers) only with
/// the admin token, typed into the page's login field and kept in the page's memory. It travels
/// as `?token=` on the events URL, since a browser's `EventSource` cannot set headers.
struct StatusPage: Sendable {
    /// The snapshot; with `true`, including the recent calls.
    let snapshot: @Sendable (_ includeCalls: Bool) async -> StatusSnapshot
    let adminToken: String?
    /// How long one events stream stays open; the browser reconnects by itself.
    let streamLifetime: Duration = .seconds(300)

    func register(on routes: Router<BasicRequestContext>) {
        routes.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: Self.html)))
        }
        routes.get("/status/events") { request, _ -> Response in
            let snapshot = self.snapshot
            let lifetime = streamLifetime
            let includeCalls = adminToken.map { AdminToken.matches(request.uri.queryParameters["token"].map(String.init), $0) } ?? false
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: .init { writer in
                    let encoder = JSONEncoder()
                    encoder.dateEncodingStrategy = .iso8601
                    let end = ContinuousClock.now + lifetime
                    while ContinuousClock.now < end, !Task.isCancelled {
                        let data = (try? encoder.encode(await snapshot(includeCalls))) ?? Data("{}".utf8)
                        try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                        try await Task.sleep(for: .seconds(1))
                    }
                    try await writer.finish(nil)
                })
        }
    }

    static let html = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>VoiceRelay status</title>
    <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
    <style>
    body{font:14px system-ui,sans-serif;margin:24px;background:#0f1419;color:#e6e6e6}
    h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:20px 0 8px;color:#9fb3c8}
    .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
    .card{background:#1a2129;border-radius:8px;padding:12px 16px}
    .big{font-size:32px;font-weight:600} .ok{color:#5fd38d} .bad{color:#ff6b6b} .muted{color:#8899a6}
    table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #2a333d}
    canvas{width:100%;height:140px}
    </style></head><body>
    <h1>VoiceRelay <span id="region" class="muted"></span></h1>
    <div id="health" class="muted">connecting…</div>
    <div class="grid">
      <div class="card"><h2>Active calls</h2><div class="big" id="active">–</div><div class="muted" id="capacity"></div></div>
      <div class="card"><h2>Regions</h2><table id="regions"><tbody></tbody></table></div>
      <div class="card"><h2>Calls by outcome</h2><table id="outcomes"><tbody></tbody></table></div>
      <div class="card"><h2>Calls by carrier</h2><table id="carriers"><tbody></tbody></table></div>
    </div>
    <div class="grid">
      <div class="card"><h2>Voice-to-voice latency</h2><canvas id="voiceToVoice" width="600" height="140"></canvas></div>
      <div class="card"><h2>Barge-in reaction</h2><canvas id="bargeIn" width="600" height="140"></canvas></div>
      <div class="card"><h2>Relay-added latency, caller to model</h2><canvas id="inbound" width="600" height="140"></canvas></div>
    </div>
    <h2>Recent calls</h2>
    <form id="login"><span class="muted" id="loginNote">Call details need the admin token.</span>
      <input type="password" id="token" placeholder="admin token" autocomplete="off"> <button>Show calls</button></form>
    <table id="calls"><thead><tr><th>started</th><th>call</th><th>carrier</th><th>tenant</th><th>region</th><th>seconds</th><th>voice-to-voice</th><th>ended</th></tr></thead><tbody></tbody></table>
    <script>
    "use strict";
    function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); }
    function fill(id, rows) {
      const body = document.querySelector("#" + id + " tbody"); body.replaceChildren();
      for (const values of rows) { const row = document.createElement("tr"); values.forEach(v => cell(row, v)); body.appendChild(row); }
    }
    function label(le) {
      if (le === "+Inf") return "more";
      const s = parseFloat(le); return s < 0.001 ? (s * 1e6).toFixed(0) + "µs" : s < 1 ? (s * 1000).toFixed(0) + "ms" : s + "s";
    }
    function chart(id, buckets) {
      const canvas = document.getElementById(id), g = canvas.getContext("2d");
      g.clearRect(0, 0, canvas.width, canvas.height);
      const counts = buckets.map((b, i) => b.count - (i ? buckets[i - 1].count : 0));
      const top = Math.max(1, ...counts), w = canvas.width / Math.max(1, counts.length);
      g.font = "11px system-ui"; g.textAlign = "center";
      counts.forEach((c, i) => {
        const h = (canvas.height - 30) * c / top;
        g.fillStyle = "#4ea1ff"; g.fillRect(i * w + 3, canvas.height - 18 - h, w - 6, h);
        g.fillStyle = "#8899a6"; g.fillText(label(buckets[i].le), i * w + w / 2, canvas.height - 4);
        if (c) { g.fillStyle = "#e6e6e6"; g.fillText(String(c), i * w + w / 2, canvas.height - 22 - h); }
      });
    }
    function show(s) {
      document.getElementById("region").textContent = s.region + " · " + s.model;
      const health = document.getElementById("health");
      health.textContent = s.canTakeCalls ? "taking calls" : "not taking calls: " + s.reason;
      health.className = s.canTakeCalls ? "ok" : "bad";
      document.getElementById("active").textContent = s.activeCalls;
      document.getElementById("capacity").textContent = "of " + s.capacity;
      fill("regions", [[s.region + " (this one)", s.activeCalls + " calls", s.canTakeCalls ? "up" : "down"]]
        .concat(s.peers.map(p => [p.region, "", p.healthy === null || p.healthy === undefined ? "unknown" : p.healthy ? "up" : "down"])));
      fill("outcomes", Object.entries(s.callsByOutcome).map(([k, v]) => [k, String(v)]));
      const carriers = new Set(Object.keys(s.callsByCarrier).concat(Object.keys(s.activeByCarrier)));
      fill("carriers", [...carriers].sort().map(k => [k, (s.activeByCarrier[k] || 0) + " now", (s.callsByCarrier[k] || 0) + " ended"]));
      chart("voiceToVoice", s.histograms.voiceToVoice || []);
      chart("bargeIn", s.histograms.bargeIn || []);
      chart("inbound", s.histograms.inbound || []);
      fill("calls", s.recentCalls.map(c => [new Date(c.startedAt).toLocaleTimeString(), c.callSid, c.carrier, c.tenant, c.region,
        c.seconds == null ? "live" : c.seconds.toFixed(1), c.voiceToVoiceMs == null ? "–" : c.voiceToVoiceMs.toFixed(0) + " ms",
        c.endReason || ""]));
    }
    let events = null;
    function connect(token) {
      if (events) events.close();
      events = new EventSource("/status/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
      events.onmessage = e => {
        const s = JSON.parse(e.data); show(s);
        document.getElementById("login").style.display = s.callsVisible ? "none" : "";
        if (token && !s.callsVisible) document.getElementById("loginNote").textContent = "That token was not accepted.";
      };
      events.onerror = () => { document.getElementById("health").textContent = "reconnecting…"; };
    }
    document.getElementById("login").addEventListener("submit", e => {
      e.preventDefault(); connect(document.getElementById("token").value);
    });
    connect("");
    </script></body></html>
    """#
}
