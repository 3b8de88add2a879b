/**
 * The certs/ library API: PKI for the agent and its lab. A CA, the agent certificate carrying
 * its Endpoint ID as subjectAltName URI `urn:bbf:usp:id:<EndpointID>` (TR-369 R-SEC.0a,
 * R-SEC.10), controller and broker/server certificates, made with node-forge and read back with
 * node:crypto X509Certificate. Import certs/ through this file, except where only certificates
 * are read: x509.ts needs node:crypto alone, and importing it directly keeps node-forge (~12 MB
 * of memory) out of an agent that makes no certificates.
 */
export { createCa, issueCert } from './issue.js';
export type { CertAndKey, IssueOptions } from './issue.js';
export { createLabPki, loadLabPki } from './lab.js';
export type { LabPki, LabPkiFiles, LabPkiOptions } from './lab.js';
export { CertError, checkEndpointId, describeCert, endpointIdFromCertPem, endpointIdsOf, parseCertPem, subjectAltNames, USP_ID_URN_PREFIX } from './x509.js';
export type { CertDescription } from './x509.js';
