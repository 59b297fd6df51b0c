#!/usr/bin/env bash
# pin-action-image.sh FILE REF
#
# Sets runs.image in the action metadata FILE (action.yml) from "Dockerfile"
# to REF, an immutable docker://IMAGE@sha256:DIGEST reference, and leaves
# every other line as it is. The release workflow runs it on the release
# commit only; tools/imagecheck tests it on a copy of action.yml.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: pin-action-image.sh FILE docker://IMAGE@sha256:DIGEST" >&2
  exit 2
fi
file="$1"
ref="$2"

if [[ ! "$ref" =~ ^docker://[a-z0-9][a-z0-9._:/-]*@sha256:[0-9a-f]{64}$ ]]; then
  echo "pin-action-image: $ref is not docker://IMAGE@sha256:DIGEST" >&2
  exit 2
fi

# The one line that sets image: Dockerfile, quoted or not, at any indent.
line='^([[:space:]]+)image:[[:space:]]*("Dockerfile"|'"'"'Dockerfile'"'"'|Dockerfile)[[:space:]]*$'
n="$(grep -cE "$line" "$file" || true)"
if [ "$n" != 1 ]; then
  echo "pin-action-image: want one 'image: Dockerfile' line in $file, found $n" >&2
  exit 1
fi
sed -i -E "s#${line}#\\1image: \"${ref}\"#" "$file"

if ! grep -qF "image: \"${ref}\"" "$file"; then
  echo "pin-action-image: $file does not name $ref after the edit" >&2
  exit 1
fi
