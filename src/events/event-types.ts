import type { Metadata } from '../registry/records.js';

/** A package was created, open for files. */
export interface PackageCreated {
  type: 'package.created';
  packageId: string;
  payload: {
    name: string;
    producer: string;
    subject: string;
    retentionClass: string;
    metadata: Metadata;
  };
}

/** A file was added to an open package; its bytes are durable in `backend`. */
export interface FileAdded {
  type: 'file.added';
  packageId: string;
  payload: {
    path: string;
    digest: string;
    size: number;
    mediaType: string;
    backend: string;
  };
}

/** A package was frozen; its manifest object is durable in `backend`. */
export interface PackageFinalized {
  type: 'package.finalized';
  packageId: string;
  payload: {
    manifestDigest: string;
    manifestSize: number;
    backend: string;
    /** Computed when the event is written, so replay never depends on mutable reference data. */
    retainUntil: string | null;
  };
}

/** A verified copy of an object now exists in another backend. */
export interface ObjectLocated {
  type: 'object.located';
  packageId: null;
  payload: {
    digest: string;
    size: number;
    backend: string;
  };
}

/** Every event the store writes. */
export type StoreEvent = PackageCreated | FileAdded | PackageFinalized | ObjectLocated;

/** Event type names, as stored in `events.type`. */
export type StoreEventType = StoreEvent['type'];

/** An event as stored: the input plus its sequence number, actor and time. */
export type RecordedEvent = StoreEvent & {
  seq: number;
  actor: string;
  recordedAt: string;
};
