// Charts: every element with data-chart="<id of a JSON script>" is drawn with the bundled
// plotly.min.js, loaded from this origin only when a page (or an htmx swap) has a chart.
(() => {
  const script = document.currentScript;
  const plotlySource = script ? script.dataset.plotly : null;
  let loading = null;

  function loadPlotly() {
    if (window.Plotly) { return Promise.resolve(window.Plotly); }
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const tag = document.createElement("script");
        tag.src = plotlySource;
        tag.onload = () => resolve(window.Plotly);
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function draw(root) {
    const targets = Array.from(root.querySelectorAll("[data-chart]")).filter((el) => !el.dataset.drawn);
    if (!targets.length || !plotlySource) { return; }
    loadPlotly().then((Plotly) => {
      for (const target of targets) {
        const source = document.getElementById(target.dataset.chart);
        if (!source) { continue; }
        const figure = JSON.parse(source.textContent);
        target.dataset.drawn = "1";
        Plotly.newPlot(target, figure.data, figure.layout, {
          displayModeBar: false, responsive: true, staticPlot: false,
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => draw(document));
  document.addEventListener("htmx:afterSwap", (event) => draw(event.target));
})();
