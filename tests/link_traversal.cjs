// Comunica link traversal (@comunica/query-sparql-link-traversal, JS API) against a test server.
//
// Usage: node link_traversal.cjs SERVER BASE SEED QUERY
// Prints one JSON object: the bindings, every URL Comunica asked for, and those it was refused.
//
// The entity IRIs live under BASE (https://w3id.org/...), which in public redirects to the
// server; the test machine may have no network, so this fetch plays w3id.org's part: an IRI
// under BASE is fetched from SERVER, and anything else off this machine is refused, never sent.
'use strict';

const { QueryEngine } = require('@comunica/query-sparql-link-traversal');

async function main() {
  const [server, base, seed, query] = process.argv.slice(2);
  const asked = [];
  const refused = [];

  async function localFetch(input, init) {
    const url = typeof input === 'string' ? input : input.url;
    asked.push(url);
    let target = null;
    if (url.startsWith(server + '/')) {
      target = url;
    } else if (url.startsWith(base)) {
      target = server + '/' + url.slice(base.length);
    }
    if (target === null) {
      refused.push(url);
      throw new Error(`refused: ${url} is not on this machine`);
    }
    return fetch(target, init);
  }

  const engine = new QueryEngine();
  const stream = await engine.queryBindings(query, {
    sources: [seed],
    fetch: localFetch,
    // A refused link is logged and skipped instead of ending the query.
    lenient: true,
  });
  const bindings = (await stream.toArray()).map((row) => {
    const values = {};
    for (const [variable, term] of row) {
      values[variable.value] = term.value;
    }
    return values;
  });
  process.stdout.write(JSON.stringify({ bindings, asked, refused }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
