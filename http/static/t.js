/* Tandem tracking snippet. Include it on every page of your site:
 *   <script src="https://YOUR-TANDEM/t.js" async></script>
 * Options (data attributes of the script tag, all optional):
 *   data-click-param="tandem_click"   the parameter short links (/r/CODE) add
 *   data-ref-params="ref,via,fp_ref"  the parameters direct links (?ref=CODE) use
 *   data-cookie-days="30"             how long to keep a short link's click ID
 * It keeps the click ID in the first-party cookie "tandem_click" and exposes it
 * as tandem.clickId(); tandem.ready(fn) calls fn(clickId) once it is known. */
(function (w, d) {
  "use strict";
  var api = w.tandem = w.tandem || {}, waiting = [], done = false, memory = null;
  var COOKIE = "tandem_click", CLICK = /^clk_[a-z2-7]{26}$/, REF = /^[A-Za-z0-9_-]{4,32}$/;

  function cookieId() {
    var parts = d.cookie ? d.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].replace(/^\s+/, "").split("=");
      if (kv[0] === COOKIE && CLICK.test(kv[1])) return kv[1];
    }
    return null;
  }

  // store sets the cookie on the widest domain that takes it (example.com
  // rather than www.example.com), so every subdomain of the site sees it.
  function store(id, days) {
    memory = id;
    var labels = location.hostname.split("."), tail = "; path=/; max-age=" + Math.round(days * 86400) +
      "; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    for (var i = labels.length - 2; i >= 0; i--) {
      var domain = labels.slice(i).join(".");
      d.cookie = COOKIE + "=" + id + "; domain=" + domain + tail;
      if (cookieId() === id) return;
    }
    d.cookie = COOKIE + "=" + id + tail; // a bare host (localhost, an IP)
  }

  function finish() {
    done = true;
    var id = api.clickId();
    while (waiting.length) {
      try { waiting.shift()(id); } catch (e) { /* the merchant's callback */ }
    }
  }

  function param(names) {
    var pairs = location.search.substring(1).split("&");
    for (var n = 0; n < names.length; n++) {
      for (var i = 0; i < pairs.length; i++) {
        var kv = pairs[i].split("=");
        try {
          if (decodeURIComponent(kv[0]) === names[n] && kv[1]) return decodeURIComponent(kv[1].replace(/\+/g, " "));
        } catch (e) { /* a malformed escape: not ours */ }
      }
    }
    return null;
  }

  api.clickId = function () { return cookieId() || memory; };
  api.ready = function (fn) { if (done) { try { fn(api.clickId()); } catch (e) { /* theirs */ } } else { waiting.push(fn); } };

  try {
    var script = d.currentScript || d.querySelector('script[src*="/t.js"]');
    var attr = function (name, def) { var v = script && script.getAttribute("data-" + name); return v || def; };
    var a = d.createElement("a");
    a.href = script.src;
    var base = a.protocol + "//" + a.host;
    var days = parseFloat(attr("cookie-days", "30")) || 30;
    var clicked = param([attr("click-param", "tandem_click")]);
    var ref = param(attr("ref-params", "ref,via,fp_ref").split(/\s*,\s*/));
    api._refs = api._refs || {};
    if (clicked && CLICK.test(clicked)) {
      store(clicked, days);
      finish();
    } else if (ref && REF.test(ref) && !api._refs[ref]) {
      api._refs[ref] = true;
      var x = new XMLHttpRequest();
      x.open("POST", base + "/api/v1/track/click");
      x.setRequestHeader("Content-Type", "application/json");
      x.onreadystatechange = function () {
        if (x.readyState !== 4) return;
        try {
          var r = x.status === 200 && JSON.parse(x.responseText);
          if (r && CLICK.test(r.click_id)) store(r.click_id, r.cookie_days || days);
        } catch (e) { /* keep what we had */ }
        finish();
      };
      x.send(JSON.stringify({ ref: ref, url: location.href, referrer: d.referrer }));
    } else {
      finish();
    }
  } catch (e) {
    finish();
  }
})(window, document);
