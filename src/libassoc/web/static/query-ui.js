// The query UI: YASGUI on this server's endpoint, one tab per competency query.
// Everything stays on this server: no persisted state from earlier visits, no endpoint
// catalogue of remote services, and only the autocompleters that need no web service.
// A file of its own, not an inline script, so the pages' Content-Security-Policy can allow
// scripts from this server only.
(() => {
  const container = document.getElementById("yasgui");
  const endpoint = new URL(container.dataset.endpoint, window.location.href).href;
  const examples = JSON.parse(document.getElementById("examples").textContent);
  const yasgui = new Yasgui(container, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }], keys: [] },
    yasqe: { autocompleters: ["variables", "prefixes"], prefixCcApi: null },
  });
  const first = yasgui.getTab();
  for (const example of examples) {
    yasgui.addTab(false, { name: example.name, yasqe: { value: example.query } });
  }
  if (examples.length > 0) {
    yasgui.selectTabId(Object.keys(yasgui._tabs).find((id) => id !== first.getId()));
    yasgui.getTab(first.getId()).close();
  }
  window.libassocYasgui = yasgui;
})();
