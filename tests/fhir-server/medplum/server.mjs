// Medplum's FHIR router (@medplum/fhir-router) and its in-memory repository behind a thin
// node:http wrapper: an independently written FHIR R4 server for fhircare's integration tests.
//
// FHIR behaviour comes from Medplum. The wrapper adds only what the router leaves to its host
// server (see README.md), each marked "wrapper:" below:
//   - GET /metadata: a CapabilityStatement (the router has none);
//   - Location and ETag headers on single-resource answers;
//   - one request at a time (each whole before it queues), and transactions all-or-nothing (the in-memory repository has no
//     isolation and no rollback; a database under Medplum's real server gives both);
//   - POST /$reset (tests only): empties the repository.
//
// Usage: node server.mjs [PORT]   (prints the base URL when listening; 127.0.0.1 only)

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const here = dirname(fileURLToPath(import.meta.url));
const definitions = join(here, 'node_modules', '@medplum', 'definitions', 'dist', 'fhir', 'r4');
for (const file of ['profiles-types.json', 'profiles-resources.json']) {
  indexStructureDefinitionBundle(JSON.parse(readFileSync(join(definitions, file), 'utf8')));
}
const searchParameters = JSON.parse(readFileSync(join(definitions, 'search-parameters.json'), 'utf8'));
indexSearchParameterBundle(searchParameters);

// wrapper: transactions all-or-nothing. Every write of a transaction goes through
// createResourceSync/deleteResource; the first time a resource is touched its previous state
// is kept, and put back if the transaction fails.
class JournalledRepository extends MemoryRepository {
  journal = null;

  remember(resourceType, id) {
    const key = `${resourceType}/${id}`;
    if (!this.journal || this.journal.has(key)) return;
    const current = this.resources.get(resourceType)?.get(id);
    const versions = this.history.get(resourceType)?.get(id);
    this.journal.set(key, { resourceType, id, current, versions: versions ? [...versions] : undefined });
  }

  createResourceSync(resource, options, update = false) {
    if (resource.id) this.remember(resource.resourceType, resource.id);
    const created = super.createResourceSync(resource, options, update);
    this.remember(created.resourceType, created.id); // a new id: nothing to put back but its absence
    return created;
  }

  async deleteResource(resourceType, id, options) {
    this.remember(resourceType, id);
    return super.deleteResource(resourceType, id, options);
  }

  async withTransaction(callback, options) {
    if (this.journal) return callback(this); // nested: the outer transaction keeps the journal
    this.journal = new Map();
    try {
      const result = await callback(this);
      this.journal = null;
      return result;
    } catch (error) {
      const journal = this.journal;
      this.journal = null;
      for (const { resourceType, id, current, versions } of journal.values()) {
        const byId = this.resources.get(resourceType);
        const historyById = this.history.get(resourceType);
        if (current) byId.set(id, current);
        else byId?.delete(id);
        if (versions) historyById.set(id, versions);
        else historyById?.delete(id);
      }
      throw error;
    }
  }
}

const router = new FhirRouter();
const repo = new JournalledRepository();
const port = Number(process.argv[2] || 8103);
const base = '/fhir';

// wrapper: a CapabilityStatement of what the router serves, for every resource type it knows
function capabilityStatement() {
  const types = [...new Set(searchParameters.entry.flatMap((e) => e.resource.base ?? []))]
    .filter((t) => t !== 'Resource' && t !== 'DomainResource')
    .sort();
  const interactions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-04',
    kind: 'instance',
    software: { name: 'Medplum fhir-router (MemoryRepository), fhircare test wrapper', version: '5.2.13' },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
        resource: types.map((type) => ({
          type,
          interaction: interactions.map((code) => ({ code })),
          versioning: 'versioned',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
          searchParam: searchParameters.entry
            .filter((e) => (e.resource.base ?? []).includes(type))
            .map((e) => ({ name: e.resource.code, type: e.resource.type })),
        })),
      },
    ],
  };
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function handle(req, res, chunks) {
  const url = new URL(req.url, 'http://localhost');
  if (!url.pathname.startsWith(base)) return send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  const path = url.pathname.slice(base.length) || '/';
  if (req.method === 'GET' && path === '/metadata') return send(res, 200, capabilityStatement());
  if (req.method === 'POST' && path === '/$reset') {
    repo.clear(); // wrapper: tests only
    return send(res, 200, { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'emptied' }] });
  }
  let body;
  if (chunks.length) {
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics: 'not JSON' }] });
    }
  }
  const request = { method: req.method, url: path + url.search, pathname: '', body, params: {}, query: {}, headers: req.headers, config: { transactions: true } };
  const [outcome, resource] = await router.handleRequest(request, repo);
  const status = getStatus(outcome);
  const headers = {};
  // wrapper: Location and ETag, which the router leaves to its host server
  if (resource?.id && resource.meta?.versionId && resource.resourceType !== 'Bundle') {
    headers.ETag = `W/"${resource.meta.versionId}"`;
    if (status === 201) headers.Location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
  }
  send(res, status, resource ?? outcome, headers);
}

// wrapper: one request at a time (the in-memory repository has no isolation of its own).
// A request joins the queue once its body has arrived: read inside the queue, one client
// that sends half a body and stalls (a killed client whose connection a proxy keeps open)
// held every other request until its connection closed.
let queue = Promise.resolve();
const server = http.createServer(async (req, res) => {
  const chunks = [];
  try {
    for await (const chunk of req) chunks.push(chunk);
  } catch {
    return; // the client went away mid-body: nothing to answer
  }
  queue = queue
    .then(() => handle(req, res, chunks))
    .catch((error) => {
      console.error('request failed:', error?.message ?? error);
      if (!res.headersSent) send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] });
    });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}${base}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
