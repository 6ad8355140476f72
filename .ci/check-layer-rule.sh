#!/usr/bin/env bash
# Proves the lint layer rule fires. Writes small probe sources into a temporary folder laid out like the
# repository (never into src/, where a running `astro dev` or build would pick them up), lints them with the
# project's config in one ESLint run, and checks that each forbidden import is reported and the allowed ones
# are not.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
probe_root="$(mktemp -d "${TMPDIR:-/tmp}/vedetta-layer.XXXXXX")"
trap 'rm -rf "$probe_root"' EXIT

declare -A expected=()
order=()
# probe <path as if in the repo> <expected number of layer errors>; source on stdin
probe() {
  mkdir -p "$probe_root/$(dirname "$1")"
  cat >"$probe_root/$1"
  expected["$1"]="$2"
  order+=("$1")
}

probe src/pages/probe.ts 2 <<'TS'
import { services } from '../../db/schema/index.ts';
import { eq } from 'drizzle-orm';
export const x = [services, eq];
TS
probe src/pages/incidents/probe.astro 2 <<'ASTRO'
---
import { openDatabase } from '../../../db/client.ts';
import { pgTable } from 'drizzle-orm/pg-core';
const x = [openDatabase, pgTable];
---
<p>{String(x.length)}</p>
ASTRO
probe src/components/Probe.astro 1 <<'ASTRO'
---
import type { Db } from '../../db/client.ts';
const db: Db | undefined = undefined;
---
<p>{String(db)}</p>
ASTRO
probe src/layouts/probe.ts 1 <<'TS'
export { incidents } from '../../db/schema/incidents.ts';
TS
probe src/http/v1/probe.ts 2 <<'TS'
import { sql } from 'drizzle-orm';
import { auditLog } from '../../../db/schema/index.ts';
export const x = [sql, auditLog];
TS
probe src/domain/probe.ts 7 <<'TS'
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { getCollection } from 'astro:content';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
export const x = [readFileSync, connect, postgres, PGlite, getCollection, sql] as unknown as Db;
TS
# Allowed: services use the database; adapters use services; domain uses domain.
probe src/services/probe.ts 0 <<'TS'
import { eq } from 'drizzle-orm';
import { services } from '../../db/schema/index.ts';
export const x = [eq, services];
TS
probe src/pages/allowed.ts 0 <<'TS'
import { SYSTEM_ACTOR } from '../services/context.ts';
export const x = SYSTEM_ACTOR;
TS
probe src/domain/allowed.ts 0 <<'TS'
import { SERVICE_STATUSES } from './vocab.ts';
export const x = SERVICE_STATUSES;
TS

# ESLint 9 resolves the config's file patterns from the working directory: run it in the probe folder.
report="$probe_root/report.json"
(cd "$probe_root" && "$root/node_modules/.bin/eslint" -c "$root/.ci/eslint.config.js" -f json -o "$report" src) || true
if [[ ! -s "$report" ]]; then
  echo "layer rule check: ESLint produced no report" >&2
  exit 1
fi

failures=0
for file in "${order[@]}"; do
  got="$(REPORT="$report" FILE="$probe_root/$file" node -e '
    const r = JSON.parse(require("fs").readFileSync(process.env.REPORT, "utf8"));
    const f = r.find((x) => x.filePath === process.env.FILE);
    const fatal = f ? f.messages.filter((m) => m.fatal) : [];
    if (fatal.length) { console.log("parse error: " + fatal[0].message); process.exit(); }
    console.log(f ? f.messages.filter((m) => m.ruleId === "no-restricted-imports" && m.severity === 2).length : "not linted");')"
  if [[ "$got" == "${expected[$file]}" ]]; then
    echo "  ok    $file: $got layer error(s)"
  else
    echo "  FAIL  $file: expected ${expected[$file]} layer error(s), got $got"
    failures=$((failures + 1))
  fi
done
if [[ $failures -gt 0 ]]; then
  echo "layer rule check: $failures probe(s) failed" >&2
  exit 1
fi
echo "layer rule check: all ${#expected[@]} probes behaved"
