#!/usr/bin/env bash
# Entry point of the appeals image.
#
#   api-server | scheduler | dag-processor | triggerer | celery worker | <any airflow command>
#                       run that Airflow component / command
#   init                one-shot set-up, safe to repeat: Airflow metadata migrations, the admin user
#                       (created, or its password reset to AIRFLOW_ADMIN_PASSWORD), warehouse migrations,
#                       the pool warehouse_db of the database-heavy tasks (APPEALS_WAREHOUSE_POOL_SLOTS)
#   appeals …           the project's command line (appeals ingest, appeals build, appeals warehouse …)
#   bash | sh | python … and anything else: run as given
set -euo pipefail

AIRFLOW_COMMANDS=(
    api-server scheduler dag-processor triggerer celery kubernetes db db-manager fab-db users dags tasks
    jobs assets backfill config connections variables pools providers plugins info version cheat-sheet
    standalone rotate-fernet-key state-store partitions teams kerberos
)

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

require() {
    local missing=()
    for var in "$@"; do
        [[ -n "${!var:-}" ]] || missing+=("$var")
    done
    if ((${#missing[@]})); then
        echo "appeals-entrypoint: not set: ${missing[*]} (see docker/.env.example)" >&2
        exit 1
    fi
}

admin_user() {
    # FAB auth manager: create the admin once; later runs make its password match the environment.
    # (Airflow may log to stdout too: the JSON is the line that parses as a list.)
    if airflow users list --output json | python -c '
import json, sys
for line in sys.stdin:
    try:
        users = json.loads(line)
    except ValueError:
        continue
    if isinstance(users, list) and any(u.get("username") == sys.argv[1] for u in users):
        sys.exit(0)
sys.exit(1)
' "$AIRFLOW_ADMIN_USERNAME"; then
        echo "== admin user ${AIRFLOW_ADMIN_USERNAME} exists: password set from AIRFLOW_ADMIN_PASSWORD"
        airflow users reset-password --username "$AIRFLOW_ADMIN_USERNAME" --password "$AIRFLOW_ADMIN_PASSWORD"
    else
        echo "== creating admin user ${AIRFLOW_ADMIN_USERNAME}"
        airflow users create --role Admin \
            --username "$AIRFLOW_ADMIN_USERNAME" --password "$AIRFLOW_ADMIN_PASSWORD" \
            --email "$AIRFLOW_ADMIN_EMAIL" --firstname Airflow --lastname Admin
    fi
}

refuse_placeholders() {
    # docker/.env.example's values start with "change-me": a deployment must replace every one.
    local names
    names=$(env | awk -F= '$2 ~ /change-me/ { print $1 }' | sort | tr '\n' ' ')
    if [[ -n "$names" ]]; then
        echo "appeals-entrypoint: replace the change-me placeholders in docker/.env; still set: $names" >&2
        exit 1
    fi
}

init() {
    require AIRFLOW__DATABASE__SQL_ALCHEMY_CONN AIRFLOW_ADMIN_USERNAME AIRFLOW_ADMIN_PASSWORD \
        AIRFLOW_ADMIN_EMAIL WAREHOUSE_DSN
    refuse_placeholders
    echo "== airflow db migrate"
    airflow db migrate
    if [[ "${AIRFLOW__CORE__AUTH_MANAGER:-}" == *FabAuthManager ]]; then
        admin_user
    else
        echo "== auth manager ${AIRFLOW__CORE__AUTH_MANAGER:-default}: no user created here"
    fi
    echo "== warehouse migrations"
    appeals warehouse migrate
    echo "== pool warehouse_db (${APPEALS_WAREHOUSE_POOL_SLOTS:-4} slots)"
    airflow pools set warehouse_db "${APPEALS_WAREHOUSE_POOL_SLOTS:-4}" \
        "Tasks that load, validate, build or maintain the appeals warehouse"
    echo "== initialisation done"
}

command="${1:-help}"
case "$command" in
    help | --help | -h)
        usage
        ;;
    init)
        init
        ;;
    airflow | appeals)
        exec "$@"
        ;;
    *)
        for known in "${AIRFLOW_COMMANDS[@]}"; do
            [[ "$command" == "$known" ]] && exec airflow "$@"
        done
        exec "$@"
        ;;
esac
