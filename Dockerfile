# syntax=docker/dockerfile:1
# smarketing-warehouse on the official Airflow image: Airflow 3.3.2 plus this project's locked dependencies and code.
# The -python3.11 variant because requirements.lock is resolved for Python 3.11 (see the Makefile's `lock`).
FROM apache/airflow:3.3.2-python3.11

# Where the repository lives in the image; PYTHONPATH and the DAG folder in docker-compose.yml point here.
ENV SMARKETING_HOME=/opt/smarketing

USER root
# Directories that back named volumes are created here so that the volumes start owned by the airflow user.
RUN mkdir -p "${SMARKETING_HOME}" /opt/airflow/dbt-target /opt/airflow/auth \
 && chown -R airflow:0 "${SMARKETING_HOME}" /opt/airflow/dbt-target /opt/airflow/auth
USER airflow

# The locked set, with apache-airflow pinned to the image's own version so that the install can never move it
# (uv ships with the image and installs into its virtualenv, ~/.local). The providers the image brings and the
# lock does not list (celery, redis, ...) stay as they are; the check fails the build if Airflow moved anyway.
COPY --chown=airflow:0 requirements.lock /tmp/requirements.lock
RUN uv pip install --no-cache "apache-airflow==${AIRFLOW_VERSION}" -r /tmp/requirements.lock \
 && python -c "import airflow, airflow.providers.celery; assert airflow.__version__ == '3.3.2', airflow.__version__" \
 && rm /tmp/requirements.lock

# The code last: a code change rebuilds only this layer (.dockerignore keeps .venv, .local, .env and tests out).
COPY --chown=airflow:0 . ${SMARKETING_HOME}
