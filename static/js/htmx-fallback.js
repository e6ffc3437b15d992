// Runs after the CDN copy of htmx (both are deferred, so in order). When the CDN could not be
// reached, or its file failed the SRI check, load the identical local copy instead.
//
// Not before the page has finished loading: htmx initialises on DOMContentLoaded, or at once
// when document.readyState is "complete". A copy that arrives in between ("interactive", after
// DOMContentLoaded has fired) would wait for an event that never comes, and neither process
// the page nor read the htmx-config meta tag (allowEval: false ...). Tested in a browser:
// tests/browser/test_htmx_cdn.py.
(function () {
  "use strict";
  if (window.htmx) { return; }
  var me = document.currentScript;
  var src = me.getAttribute("data-local-src");
  var integrity = me.getAttribute("data-integrity");

  function loadLocalCopy() {
    var local = document.createElement("script");
    local.src = src;
    local.integrity = integrity;
    document.head.appendChild(local);
  }

  if (document.readyState === "complete") {
    loadLocalCopy();
  } else {
    window.addEventListener("load", loadLocalCopy, { once: true });
  }
})();
