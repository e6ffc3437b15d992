// "Authorize Salesforce" opens Salesforce's login in a popup; the popup's callback page
// reports back (BroadcastChannel and postMessage) and the connection panel reloads.
// With the popup blocked, the form simply submits in this tab.
(function () {
  "use strict";
  var CHANNEL = "lemontaps-salesforce-oauth";

  function announce(message) {
    var live = document.getElementById("oauth-live-message");
    if (live && message) { live.textContent = message; }
  }

  function done(data) {
    if (!data || data.type !== CHANNEL) { return; }
    announce(data.message);
    document.body.dispatchEvent(new CustomEvent("salesforce-oauth-done", { bubbles: true }));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var name = form.getAttribute("data-oauth-popup");
    if (!name) { return; }
    var popup = window.open("", name, "popup,width=560,height=720");
    if (popup) {
      form.setAttribute("target", name);
    } else {
      form.removeAttribute("target");
    }
  }, true);

  if ("BroadcastChannel" in window) {
    new BroadcastChannel(CHANNEL).onmessage = function (event) { done(event.data); };
  }
  window.addEventListener("message", function (event) {
    if (event.origin === window.location.origin) { done(event.data); }
  });
})();
