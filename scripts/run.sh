#!/usr/bin/env bash
# Serve the bot on localhost: the action server, then the Rasa server (web page, REST, WeChat).
# Called by `make run` once the venv, the knowledge database and the model are ready.
set -euo pipefail
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
export PYTHONPATH=$PWD
mkdir -p var
# endpoints.yml names the default action server port; follow ACTIONS_PORT if it was changed.
sed "s#http://localhost:5055/webhook#http://localhost:${ACTIONS_PORT}/webhook#" endpoints.yml \
  > var/endpoints.run.yml

.venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true' EXIT INT TERM

.venv/bin/python - "$ACTIONS_PORT" <<'PY'
import sys, time, urllib.request
url = f"http://localhost:{sys.argv[1]}/health"
for _ in range(120):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit("the action server did not start")
PY

cat <<MSG

  信访法律渠道引导机器人 is starting on localhost.
  Web chat page:   http://localhost:${RASA_PORT}/webhooks/web/
  REST webhook:    POST http://localhost:${RASA_PORT}/webhooks/rest/webhook
                   {"sender": "me", "message": "第三十一条是什么"}
  WeChat webhook:  http://localhost:${RASA_PORT}/webhooks/wechat/webhook
                   try it: .venv/bin/python -m bot.channels.wechat_sim "单位拖欠工资"
  Stop with Ctrl-C.

MSG
.venv/bin/rasa run --enable-api --cors "*" -i 127.0.0.1 --port "$RASA_PORT" \
  -m models/xinfang.tar.gz --endpoints var/endpoints.run.yml --credentials credentials.yml
