// Live refresh of the msb pages (progressive enhancement: without it the pages work by reloading).
// Values are set with textContent only, never as markup.
(function () {
  'use strict';
  var base = location.pathname;

  function poll(url, every, apply) {
    function tick() {
      fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) { if (body && apply(body) !== false) { setTimeout(tick, every); } })
        .catch(function () { setTimeout(tick, every * 4); });
    }
    setTimeout(tick, every);
  }

  function setStatus(el, status) {
    el.textContent = status;
    el.className = 'msb-status msb-' + status.toLowerCase();
  }

  var list = document.querySelector('table.msb-sandboxes');
  if (list) {
    poll(base + '/status.json' + location.search.replace(/flash=[^&]*&?/, ''), 3000, function (body) {
      var rows = {};
      body.sandboxes.forEach(function (s) { rows[s.name] = s; });
      list.querySelectorAll('tr.msb-row').forEach(function (tr) {
        var s = rows[tr.dataset.name];
        if (!s) { tr.style.opacity = '0.5'; return; }
        setStatus(tr.querySelector('.msb-status'), s.status);
        tr.querySelector('.msb-uptime').textContent = s.uptime;
        tr.querySelector('.msb-idle').textContent = s.idle;
      });
    });
  }

  var metrics = document.querySelector('table.msb-metrics');
  if (metrics) {
    var name = metrics.dataset.name;
    poll(base + '/metrics.json?name=' + encodeURIComponent(name), 2000, function (body) {
      var status = document.querySelector('h3 .msb-status');
      if (status && body.status) { setStatus(status, body.status); }
      if (!body.metrics) { return true; }
      metrics.querySelectorAll('td[data-metric]').forEach(function (td) {
        var v = body.metrics[td.dataset.metric];
        if (v !== undefined) { td.textContent = v; }
      });
    });
  }

  var pulls = document.querySelector('table.msb-pulls');
  if (pulls && pulls.querySelector('tr[data-finished="false"]')) {
    poll(base + '/pulls.json', 1000, function (body) {
      var tbody = pulls.querySelector('tbody');
      tbody.textContent = '';
      var running = false;
      body.pulls.forEach(function (p) {
        var tr = document.createElement('tr');
        var ref = document.createElement('td'); ref.textContent = p.reference;
        var phase = document.createElement('td'); phase.textContent = p.error ? 'failed: ' + p.error : p.phase;
        var prog = document.createElement('td');
        var bar = document.createElement('progress'); bar.max = 100; bar.value = p.percent;
        var text = document.createElement('span'); text.textContent = ' ' + p.progress;
        prog.appendChild(bar); prog.appendChild(text);
        tr.appendChild(ref); tr.appendChild(phase); tr.appendChild(prog);
        tbody.appendChild(tr);
        running = running || !p.finished;
      });
      if (!running) { location.replace(base); return false; }
    });
  }
}());
