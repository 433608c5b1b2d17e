// Draws the workflow diagrams (Mermaid text rendered in the page) with the vendored Mermaid; no network.
(function () {
  if (!window.mermaid) { return; }
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral", state: { useMaxWidth: false } });
  window.mermaid.run({ querySelector: "pre.mermaid" }).catch(function (err) {
    // The text of the diagram stays readable if drawing fails.
    if (window.console) { console.warn("diagram", err); }
  });
})();
