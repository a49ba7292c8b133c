// WedSync's only script: small progressive enhancements. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  // Live badge: reflect the SSE connection state on <body data-live>.
  function setLive(state) {
    document.body.setAttribute("data-live", state);
    var badge = document.querySelector("[data-live-badge]");
    if (badge) {
      var label = { connected: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline" }[state] || state;
      var text = badge.querySelector("[data-live-state]");
      if (text) text.textContent = label;
    }
  }
  document.addEventListener("htmx:sseOpen", function () { setLive("connected"); });
  document.addEventListener("htmx:sseError", function () { setLive(navigator.onLine ? "reconnecting" : "offline"); });
  document.addEventListener("htmx:sseClose", function () { setLive("offline"); });
  window.addEventListener("offline", function () { setLive("offline"); });
  // The server may ask a stream to close for good (a revoked share link).
  document.addEventListener("htmx:sseMessage", function (e) {
    if (e.detail && e.detail.type === "revoked") { window.location.reload(); }
  });
  // Keep the header's "updated HH:MM" in step with the freshness region the stream swaps in.
  document.addEventListener("htmx:afterSettle", function (e) {
    var src = document.querySelector('#region-freshness [data-kpi="computed_at"]');
    var dst = document.querySelector("[data-computed-at]");
    if (src && dst && e.target && (e.target.id === "region-freshness" || e.target.closest && e.target.closest("#region-freshness"))) {
      dst.setAttribute("datetime", src.getAttribute("datetime") || "");
      dst.textContent = src.getAttribute("data-clock") || src.textContent;
    }
  });
  // Confirm destructive actions: <form data-confirm="Delete this booking?">.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
  // Select the invite link on focus, for copying.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-invite-link]")) { e.target.select(); }
  });
})();
