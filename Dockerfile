FROM python:3.11-slim-bookworm
# WeasyPrint renders invoice PDFs with Pango; DejaVu fonts give every currency symbol a glyph.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
# collectstatic only reads settings: throwaway values stand in for the real secrets, which come at run time.
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=$(python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())") \
       STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput
ENV STATIC_ROOT=/app/staticfiles
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["gunicorn", "backoffice.wsgi:application", "--bind", "0.0.0.0:8000", "--header-map", "dangerous"]
