"""Renders analytics/flink/star.sql.j2 for the bookstore/flink-jobs image: where local mode (bookstore/star.py) puts
this machine's Kafka address and analytics-db's flink_writer login, the image gets ${NAME} placeholders that
SqlRunner fills from the pod's environment at start, so no address or password is baked in.

usage: python render_sql.py <star.sql.j2> <out.sql>
"""

import sys
from pathlib import Path

import jinja2

PLACEHOLDERS = {
    "bootstrap": "${KAFKA_BOOTSTRAP}",
    "jdbc_url": "${ANALYTICS_JDBC_URL}",
    "user": "${FLINK_WRITER_USER}",
    "password": "${FLINK_WRITER_PASSWORD}",
}


def main(source: str, target: str) -> None:
    template = jinja2.Template(Path(source).read_text(), undefined=jinja2.StrictUndefined)
    Path(target).write_text(template.render(**PLACEHOLDERS))


if __name__ == "__main__":
    main(*sys.argv[1:])
