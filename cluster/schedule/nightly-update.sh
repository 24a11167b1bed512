#!/bin/sh
# Append today's batch to the valuation store. Exit status is that of
# `dleverage update`: 0 on success or when the batch was applied before, 2 on any
# error (one line on standard error), so cron mail and systemd notice failures.
set -eu
STORE=${DLEVERAGE_STORE:-/srv/valuation/store}
INCOMING=${DLEVERAGE_INCOMING:-/srv/valuation/incoming}
BATCH="$INCOMING/$(date -u +%F).zarr"
if [ ! -e "$BATCH" ]; then
    echo "nightly-update: no batch $BATCH for today" >&2
    exit 3
fi
exec dleverage update "$STORE" --append "$BATCH" --no-progress --json
