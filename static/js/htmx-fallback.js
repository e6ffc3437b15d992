// Runs after the CDN copy of htmx (both are deferred, so in order). When the CDN could not be
// reached, or its file failed the SRI check, load the identical local copy instead.
(function () {
  "use strict";
  if (window.htmx) { return; }
  var me = document.currentScript;
  var local = document.createElement("script");
  local.src = me.getAttribute("data-local-src");
  local.integrity = me.getAttribute("data-integrity");
  document.head.appendChild(local);
})();
