import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Creates a package id: a ULID, so ids sort by creation time. */
export function newPackageId(): string {
  return nextUlid();
}

const PACKAGE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Tells whether `value` has the shape of a package id. */
export function isPackageId(value: string): boolean {
  return PACKAGE_ID_PATTERN.test(value);
}
