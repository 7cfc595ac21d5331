# Hongtu under gunicorn. Front-end libraries come from npm in a build stage; nothing is fetched at run time.
FROM node:20-bookworm-slim AS assets
WORKDIR /srv/hongtu
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/hongtu
COPY pyproject.toml ./
COPY app ./app
RUN pip install --no-cache-dir -e .
COPY geodata ./geodata
COPY map_templates ./map_templates
COPY --from=assets /srv/hongtu/node_modules ./node_modules
RUN useradd --system --home /srv/hongtu hongtu && mkdir -p var && chown hongtu var
USER hongtu
EXPOSE 5000
CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:5000", "--access-logfile", "-", "app:create_app()"]
