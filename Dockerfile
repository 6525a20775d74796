# The optout image: the official Airflow image with the optout package (and its Great
# Expectations suites) installed. One image serves every Airflow part and `optout serve`.
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
ARG AIRFLOW_VERSION

# Installed in place (editable) so pipeline/ finds expectations/ and seeds/ beside it.
COPY --chown=airflow:root pyproject.toml constraints.txt /opt/optout/
COPY --chown=airflow:root pipeline /opt/optout/pipeline
COPY --chown=airflow:root expectations /opt/optout/expectations
COPY --chown=airflow:root sql /opt/optout/sql
COPY --chown=airflow:root seeds /opt/optout/seeds
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -c /opt/optout/constraints.txt -e "/opt/optout[airflow]"

# The DAGs and the plugin (the console link) are baked in too; docker-compose.yml mounts
# ./dags and ./plugins over them for development.
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
ENV OPTOUT_LANDING=/data/landing \
    OPTOUT_OUTPUT=/data/output
