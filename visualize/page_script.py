"""The script and style of an interactive page (plain JavaScript and CSS, no library, nothing fetched).

The script only highlights, steps, collapses and shows numbers: the layout is Graphviz's SVG and every number
was computed in Python (visualize/page_data.py).  One copy of the script serves every page on a document (a
lesson page or a notebook shows several); each page is a <div class="tg-page"> with its data in a
<script type="application/json">.  `window.tinygradEdu` is the first page's handle: step(n), state(), next(),
prev(), collapse(key), expand(key), collapsed(); `TinygradEduPage.pages` holds every page's.
"""

CSS = """
.tg-page{font:13px/1.35 Helvetica,Arial,sans-serif;color:#222;border:1px solid #ccc;border-radius:6px;
  display:flex;flex-direction:column;height:640px;max-width:100%;background:#fff;position:relative;outline:none}
.tg-page.tg-standalone{height:calc(100vh - 24px)}
.tg-page:focus-within,.tg-page:focus{border-color:#1f5fbf}
.tg-bar{display:flex;gap:6px;align-items:center;padding:6px 8px;border-bottom:1px solid #ddd;flex-wrap:wrap}
.tg-bar button{font:inherit;padding:2px 8px;border:1px solid #aaa;border-radius:4px;background:#f6f6f6;cursor:pointer}
.tg-bar button:hover{background:#e8eef9}
.tg-bar input[type=range]{flex:1;min-width:120px}
.tg-title{font-weight:bold;margin-right:8px}
.tg-note{padding:4px 8px;color:#b03a2e;font-size:12px}
.tg-main{display:flex;flex:1;min-height:0}
.tg-view{flex:1;min-width:0;overflow:hidden;cursor:grab;background:#fcfcfc}
.tg-view svg{width:100%;height:100%;display:block;user-select:none}
.tg-view svg text{font-family:Helvetica,Arial,sans-serif}
.tg-side{width:420px;max-width:50%;overflow:auto;border-left:1px solid #ddd;padding:8px;font-size:12px}
.tg-side h4{margin:2px 0 6px 0;font-size:13px}
.tg-side table{border-collapse:collapse;width:100%;margin:4px 0}
.tg-page .tg-side td,.tg-page .tg-side th{border-bottom:1px solid #eee;padding:2px 4px;text-align:left !important;
  vertical-align:top}
.tg-side .tg-num{font-family:Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
.tg-side .tg-acc{color:#b03a2e;font-weight:bold}
.tg-side .tg-pending-text{color:#777;font-style:italic}
.tg-legend{display:flex;gap:0;margin:4px 0;font-size:10px}
.tg-legend span{padding:1px 3px;border:1px solid #ccc}
.tg-page g.node.tg-future{opacity:.3}
.tg-page g.node.tg-pending polygon{stroke-dasharray:4 3;stroke:#888}
.tg-page g.node.tg-active>polygon,.tg-page g.node.tg-active>ellipse,.tg-page g.node.tg-active>path{
  stroke:#1f5fbf;stroke-width:3.5}
.tg-page g.node.tg-input>polygon,.tg-page g.node.tg-input>ellipse{stroke:#1f5fbf;stroke-width:2}
.tg-page g.edge.tg-active path{stroke:#1f5fbf;stroke-width:2.5}
.tg-page g.edge.tg-active polygon{stroke:#1f5fbf;fill:#1f5fbf}
.tg-page g.edge.tg-back path{stroke:#c0392b}
.tg-page g.edge.tg-back polygon{stroke:#c0392b;fill:#c0392b}
.tg-page g.cluster>text{cursor:pointer;text-decoration:underline dotted}
.tg-page g.tg-box{cursor:pointer}
.tg-page g.tg-box.tg-active rect{stroke:#1f5fbf;stroke-width:3.5}
.tg-page .tg-hidden{display:none}
"""

JS = r"""
(function () {
  if (window.TinygradEduPage) { window.TinygradEduPage.mountAll(); return; }
  var SVGNS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function esc(s) {
    var map = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'};
    return String(s).replace(/[&<>"]/g, function (c) { return map[c]; });
  }
  function fmt(x) {
    if (x === null || x === undefined) return 'not computed yet';
    if (typeof x === 'string') return x;
    if (x === Math.round(x) && Math.abs(x) < 1e6) return x.toFixed(1);
    return Number(x.toPrecision(4)).toString();
  }

  function mount(root) {
    var data = JSON.parse(root.querySelector('script.tg-data').textContent);
    var prefix = root.getAttribute('data-prefix');
    var svg = root.querySelector('.tg-view svg');
    var side = root.querySelector('.tg-side');
    var panelBox = side.querySelector('.tg-panel'), infoBox = side.querySelector('.tg-info');
    var label = root.querySelector('.tg-step'), slider = root.querySelector('input[type=range]');
    var total = data.steps.length, current = 0, grads = {}, revealed = {}, pinned = null;
    var nodes = {}, edges = [], boxes = {}, closed = {};
    for (var id in data.nodes) {
      var g = svg.getElementById ? svg.getElementById(prefix + id) : null;
      g = g || root.querySelector('[id="' + prefix + id + '"]');
      if (!g) continue;
      var texts = g.querySelectorAll('text');
      nodes[id] = {g: g, shape: g.querySelector('polygon, ellipse, path'), gradText: data.nodes[id].requires_grad ?
        texts[texts.length - 1] : null, sig: ''};
    }
    data.edges.forEach(function (e) {
      var g = root.querySelector('[id="' + e[0] + '"]');
      if (g) edges.push({g: g, src: e[1], dst: e[2]});
    });
    // clusters: a click on a cluster's name closes it; a closed cluster is a box over its area
    var clusterOf = {};
    for (var key in data.clusters) {
      data.clusters[key].members.forEach(function (m) { (clusterOf[m] = clusterOf[m] || []).push(key); });
    }
    function clusterEl(key) { return root.querySelector('[id="' + data.cluster_ids[key] + '"]'); }
    Object.keys(data.clusters).forEach(function (key) {
      var c = clusterEl(key);
      if (!c) return;
      c.addEventListener('click', function (ev) { ev.stopPropagation(); collapse(key); });
    });
    // every cluster's box measured once, before any box is added (each addition would force a new layout)
    var bboxes = {};
    Object.keys(data.clusters).forEach(function (key) { var c = clusterEl(key); if (c) bboxes[key] = c.getBBox(); });
    function makeBox(key) {
      var c = clusterEl(key), bb = bboxes[key], info = data.clusters[key];
      var g = document.createElementNS(SVGNS, 'g');
      g.setAttribute('class', 'tg-box');
      g.setAttribute('data-cluster', key);
      var r = document.createElementNS(SVGNS, 'rect');
      ['x', 'y', 'width', 'height'].forEach(function (k) { r.setAttribute(k, bb[k]); });
      r.setAttribute('rx', 6); r.setAttribute('fill', '#f2f2f2'); r.setAttribute('stroke', '#555');
      r.setAttribute('stroke-dasharray', '5 3');
      // the label as large as the box allows, so a closed group still reads when the graph is zoomed out
      var text = '\u25b8 ' + key + ' \u00b7 ' + info.members.length + ' nodes (click to open)';
      var size = Math.max(10, Math.min(bb.width / (0.6 * text.length), bb.height / 4, 48));
      var t = document.createElementNS(SVGNS, 'text');
      t.setAttribute('x', bb.x + bb.width / 2); t.setAttribute('y', bb.y + bb.height / 2 + size / 3);
      t.setAttribute('text-anchor', 'middle'); t.setAttribute('font-size', size.toFixed(1));
      t.setAttribute('font-family', 'Helvetica,Arial,sans-serif');
      t.textContent = text;
      var title = document.createElementNS(SVGNS, 'title');
      title.textContent = key + ': closed; click to open';
      g.appendChild(title); g.appendChild(r); g.appendChild(t);
      c.parentNode.appendChild(g);
      g.addEventListener('click', function (ev) { ev.stopPropagation(); expand(key); });
      return g;
    }
    function hiddenBy(id) {     // the outermost closed cluster holding a node, or null
      var ks = clusterOf[id] || [];
      for (var i = 0; i < ks.length; i++) if (closed[ks[i]]) return ks[i];
      return null;
    }
    function applyClusters() {
      for (var id in nodes) nodes[id].g.classList.toggle('tg-hidden', hiddenBy(id) !== null);
      edges.forEach(function (e) {
        var a = hiddenBy(e.src), b = hiddenBy(e.dst);
        e.g.classList.toggle('tg-hidden', a !== null && a === b);
      });
      for (var key in data.clusters) {
        var c = clusterEl(key);
        if (!c) continue;
        var inside = false;
        for (var p = data.clusters[key].parent; p; p = data.clusters[p].parent) if (closed[p]) inside = true;
        c.classList.toggle('tg-hidden', !!closed[key] || inside);
        if (closed[key] && !inside) {
          boxes[key] = boxes[key] || makeBox(key);
          boxes[key].classList.remove('tg-hidden');
        }
        else if (boxes[key]) boxes[key].classList.add('tg-hidden');
      }
      render();
    }
    function collapse(key) { if (data.clusters[key]) { closed[key] = true; applyClusters(); } return api.collapsed(); }
    function expand(key) { delete closed[key]; applyClusters(); return api.collapsed(); }

    function compute(n) {
      grads = {}; revealed = {};
      for (var i = 0; i < n; i++) {
        var s = data.steps[i];
        s.reveal.forEach(function (v) { revealed[v] = true; });
        for (var v in s.grads) grads[v] = s.grads[v];
      }
    }
    function computedYet(id) {     // a leaf or constant exists from the start; an op's output once forward reaches it
      var n = data.nodes[id];
      return n.kind !== 'value' || n.leaf || revealed[id];
    }
    function gradLine(id) {
      var g = grads[id];
      if (!g) return 'grad: not computed';
      if (data.nodes[id].shape === null) return 'grad ' + fmt(g[0]);
      return '|grad| ' + fmt(g[0]);
    }
    var marked = {}, hotEdges = [], edgesOf = {};
    edges.forEach(function (e) { [e.src, e.dst].forEach(function (v) { (edgesOf[v] = edgesOf[v] || []).push(e); }); });
    function render(dirty) {      // dirty: {node id: true} changed since the last render, or undefined for all
      var step = data.steps[current - 1], active = {}, inputs = {};
      if (step) {
        active[step.node] = true; active[step.output] = true;
        step.inputs.forEach(function (i) { inputs[i] = true; });
      }
      var ids = dirty ? Object.assign({}, dirty, marked, active, inputs) : nodes;
      marked = Object.assign({}, active, inputs);
      var boxKeys = {};
      for (var id in ids) {
        var n = nodes[id], info = data.nodes[id], g = grads[id];
        (clusterOf[id] || []).forEach(function (k) { if (boxes[k]) boxKeys[k] = true; });
        if (!n) continue;
        var fill = info.kind === 'value' ? (g && g[1] ? g[1] : '#ffffff') : null;
        var sig = [fill, !!active[id], !!inputs[id], computedYet(id), !!g, g ? g[0] : ''].join('|');
        if (sig === n.sig) continue;
        n.sig = sig;
        if (fill && n.shape) n.shape.setAttribute('fill', fill);
        if (n.gradText) {
          n.gradText.textContent = gradLine(id);
          var ink = g ? g[3] : '#000000';
          n.g.querySelectorAll('text').forEach(function (t) { t.setAttribute('fill', ink); });
        }
        n.g.classList.toggle('tg-active', !!active[id]);
        n.g.classList.toggle('tg-input', !!inputs[id] && !active[id]);
        n.g.classList.toggle('tg-future', !computedYet(id));
        n.g.classList.toggle('tg-pending', info.kind === 'value' && info.requires_grad && !g);
      }
      var back = current > data.forward;
      hotEdges.forEach(function (e) { e.g.classList.remove('tg-active', 'tg-back'); });
      hotEdges = !step ? [] : (edgesOf[step.node] || []).filter(function (e) {
        return (e.src === step.node && e.dst === step.output) || (e.dst === step.node && inputs[e.src]);
      });
      hotEdges.forEach(function (e) { e.g.classList.add('tg-active'); e.g.classList.toggle('tg-back', back); });
      for (var key in (dirty ? boxKeys : boxes)) {
        var hot = step && clusterOf[step.node] && clusterOf[step.node].indexOf(key) >= 0;
        boxes[key].classList.toggle('tg-active', !!hot);
        var best = null;
        data.clusters[key].members.forEach(function (m) { var gg = grads[m]; if (gg && gg[1] && (best === null ||
          Math.abs(gg[0]) > Math.abs(best[0]))) best = gg; });
        boxes[key].querySelector('rect').setAttribute('fill', best ? best[1] : '#f2f2f2');
        boxes[key].querySelector('text').setAttribute('fill', best ? best[3] : '#000000');
      }
      label.textContent = stepName();
      slider.value = current;
      panelBox.innerHTML = panelHtml(step);
      if (!pinned) infoBox.innerHTML = '';
      else infoBox.innerHTML = infoHtml(pinned);
    }
    function stepName() {
      if (current === 0) return 'step 0/' + total + ': nothing computed yet';
      if (current <= data.forward) return 'step ' + current + '/' + total + ': forward ' + current + '/' + data.forward;
      return 'step ' + current + '/' + total + ': backward ' + (current - data.forward) + '/' + (total - data.forward);
    }
    function rowsHtml(lines) { return '<div class="tg-num">' + esc(lines.join('\n')) + '</div>'; }
    function panelHtml(step) {
      if (!step) return '<h4>Nothing computed yet</h4><p>Press \u2192 (or the \u25b6 button) to run the forward pass ' +
        'one op at a time, then the backward pass. Home/End jump to the start/end.</p>' + legendHtml();
      var p = step.panel, h;
      if (p.phase === 'forward') {
        h = '<h4>Forward: ' + esc(p.op) + ' \u2192 ' + esc(p.output) + '</h4>';
        if (p.expression) h += '<p>' + esc(p.output) + ' = ' + esc(p.expression) + '</p>';
        h += '<table><tr><th>input</th><th>value</th></tr>';
        p.inputs.forEach(function (i) {
          h += '<tr><td>' + esc(i.name) + '</td><td>' + rowsHtml(i.value) + '</td></tr>';
        });
        h += '</table><p>output ' + esc(p.output) + ' = </p>' + rowsHtml(p.value);
        return h;
      }
      h = '<h4>Backward: ' + esc(p.op) + ' \u2192 ' + esc(p.output) + '</h4>';
      h += '<p>upstream \u2202L/\u2202' + esc(p.output) + ' = <span class="tg-num">' + esc(p.upstream_text) +
        '</span></p>';
      h += '<table><tr><th>input</th><th>local derivative</th><th>\u00d7 upstream =</th>' +
        '<th>gradient of the input</th></tr>';
      p.terms.forEach(function (t) {
        var acc = t.accumulates ? '<span class="tg-acc">+=</span> ' + esc(t.before_text) + ' + ' +
          esc(t.product_text) + ' = ' : '';
        h += '<tr><td>' + esc(t.input) + '</td><td>' + esc(t.formula) + '</td><td class="tg-num">' +
          esc(t.product_text) + '</td><td class="tg-num">' + acc + esc(t.after_text) + '</td></tr>';
      });
      if (p.note) return h + '</table><p>' + esc(p.note) + '</p>';
      if (!p.terms.length) h += '<tr><td colspan="4">no input needs a gradient</td></tr>';
      return h + '</table>';
    }
    function legendHtml() {
      var cells = data.legend.map(function (c) { return '<span style="background:' + c[1] + ';color:' + c[2] + '">' +
        esc(c[0]) + '</span>'; }).join('');
      return '<p>fill: |grad| on the static pictures\u2019 log scale</p><div class="tg-legend">' + cells +
        '</div><p>dashed outline, \u201cgrad: not computed\u201d: no gradient has arrived yet (not the same as 0)</p>';
    }
    function infoHtml(id) {
      var n = data.nodes[id];
      if (!n) return '';
      if (n.kind === 'op') return '<h4>op ' + esc(n.title) + '</h4><p>scope: ' + esc(n.scope || '(top level)') + '</p>';
      var shape = n.shape === null ? 'scalar' :
        'shape (' + n.shape.join(', ') + (n.shape.length === 1 ? ',' : '') + ')';
      var h = '<h4>' + esc(n.name || 'value') + '</h4><p>' + shape + ' \u00b7 ' + esc(n.dtype) +
        (n.scope ? ' \u00b7 ' + esc(n.scope) : '') + '</p><p>data</p>' + rowsHtml(n.data);
      if (n.kind === 'value' && n.requires_grad) {
        var g = grads[id];
        h += '<p>grad so far</p>' + (g ? rowsHtml(g[2]) : '<div class="tg-pending-text">not computed yet</div>');
      }
      return h;
    }
    for (var nid in nodes) (function (id) {
      nodes[id].g.addEventListener('mouseenter', function () { if (!pinned) infoBox.innerHTML = infoHtml(id); });
      nodes[id].g.addEventListener('click', function (ev) {
        ev.stopPropagation(); pinned = id; infoBox.innerHTML = infoHtml(id);
      });
    })(nid);

    // pan and zoom: the SVG's viewBox follows the wheel and the drag
    var vb = svg.viewBox.baseVal, home = [vb.x, vb.y, vb.width, vb.height];
    svg.removeAttribute('width'); svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    function setView(x, y, w, h) { svg.setAttribute('viewBox', [x, y, w, h].join(' ')); }
    function toSvg(ev) {
      var r = svg.getBoundingClientRect(), v = svg.viewBox.baseVal;
      var s = Math.max(v.width / r.width, v.height / r.height);
      var ox = (r.width * s - v.width) / 2, oy = (r.height * s - v.height) / 2;
      return [v.x - ox + (ev.clientX - r.left) * s, v.y - oy + (ev.clientY - r.top) * s, s];
    }
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var p = toSvg(ev), v = svg.viewBox.baseVal, k = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
      setView(p[0] - (p[0] - v.x) * k, p[1] - (p[1] - v.y) * k, v.width * k, v.height * k);
    }, {passive: false});
    var drag = null;
    svg.addEventListener('mousedown', function (ev) { drag = toSvg(ev); });
    window.addEventListener('mouseup', function () { drag = null; });
    svg.addEventListener('mousemove', function (ev) {
      if (!drag || !(ev.buttons & 1)) return;
      var p = toSvg(ev), v = svg.viewBox.baseVal;
      setView(v.x - (p[0] - drag[0]), v.y - (p[1] - drag[1]), v.width, v.height);
    });
    svg.addEventListener('click', function () { pinned = null; infoBox.innerHTML = ''; });

    function go(n) {
      n = Math.max(0, Math.min(total, Math.round(Number(n) || 0)));
      var dirty = {};
      if (n < current) { compute(n); dirty = undefined; }
      else for (var i = current; i < n; i++) {
        var s = data.steps[i];
        s.reveal.forEach(function (v) { revealed[v] = true; dirty[v] = true; });
        for (var v in s.grads) { grads[v] = s.grads[v]; dirty[v] = true; }
      }
      if (dirty) [prevStep(), data.steps[n - 1]].forEach(function (s) {      // the boxes holding the step's op
        if (s) dirty[s.node] = true;
      });
      current = n;
      render(dirty);
      return api.state();
    }
    function prevStep() { return data.steps[current - 1]; }
    var api = {
      step: go,
      next: function () { return go(current + 1); },
      prev: function () { return go(current - 1); },
      collapse: collapse, expand: expand,
      collapsed: function () { return Object.keys(closed).sort(); },
      state: function () {
        var out = {};
        for (var id in data.named) { var g = grads[id]; out[data.named[id]] = g ? g[0] : null; }
        var s = data.steps[current - 1];
        return {step: current, total: total, forward: data.forward,
          phase: current === 0 ? 'start' : (current <= data.forward ? 'forward' : 'backward'),
          panel: s ? JSON.parse(JSON.stringify(s.panel)) : null, grads: out, collapsed: api.collapsed()};
      },
      root: root
    };
    var buttons = {home: function () { go(0); }, prev: api.prev, next: api.next, end: function () { go(total); },
      backward: function () { go(data.forward + 1); }, fit: function () { setView.apply(null, home); },
      open: function () { closed = {}; applyClusters(); },
      close: function () { data.collapsed_all.forEach(function (k) { closed[k] = true; }); applyClusters(); }};
    root.querySelectorAll('[data-action]').forEach(function (b) {
      b.addEventListener('click', function (ev) {
        ev.stopPropagation(); buttons[b.getAttribute('data-action')](); root.focus();
      });
    });
    slider.max = total;
    slider.addEventListener('input', function () { go(slider.value); });
    var keys = function (ev) {
      if (ev.target && /INPUT|TEXTAREA/.test(ev.target.tagName) && ev.target !== slider) return;
      var k = {ArrowRight: api.next, ArrowLeft: api.prev, Home: buttons.home, End: buttons.end}[ev.key];
      if (k) { ev.preventDefault(); ev.stopPropagation(); k(); }     // not also the notebook's own shortcuts
    };
    if (root.classList.contains('tg-standalone')) document.addEventListener('keydown', keys);
    else root.addEventListener('keydown', keys);
    data.collapsed.forEach(function (k) { closed[k] = true; });
    applyClusters();
    return api;
  }

  var Page = {pages: [], mountAll: function () {
    document.querySelectorAll('.tg-page:not([data-mounted])').forEach(function (root) {
      root.setAttribute('data-mounted', '1');
      var api = mount(root);
      Page.pages.push(api);
      if (!window.tinygradEdu) window.tinygradEdu = api;
    });
  }};
  window.TinygradEduPage = Page;
  Page.mountAll();
})();
"""
