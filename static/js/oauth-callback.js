// The OAuth callback page: tell the page that opened the popup how it went, then close.
// Opened in the same tab (popup blocked), it goes back to the integration page instead.
(function () {
  "use strict";
  var CHANNEL = "lemontaps-salesforce-oauth";
  var result = document.getElementById("oauth-result");
  // "switch" asks the admin a question in this window: it must stay open.
  if (!result || result.getAttribute("data-status") === "switch") { return; }
  var data = {
    type: CHANNEL,
    status: result.getAttribute("data-status"),
    message: result.getAttribute("data-message"),
    field: result.getAttribute("data-field") || ""
  };
  // A field error (a wrong My Domain) is for the page that opened this popup only.
  if (!data.field && "BroadcastChannel" in window) {
    var channel = new BroadcastChannel(CHANNEL);
    channel.postMessage(data);
    channel.close();
  }
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage(data, window.location.origin);
    window.close();
  } else {
    window.setTimeout(function () {
      window.location.replace(result.getAttribute("data-return-url"));
    }, 1500);
  }
})();
