#!/usr/bin/env python3
"""Adds Biome's other-platform binaries to package-lock.json as optional, platform-bound entries.

The npm mirror this project is built on serves only Biome's linux binaries, so npm cannot resolve the
others and leaves them out of the lock — and then `npm ci` refuses the lock as out of sync. Entries
bound to another os/cpu are never fetched here, so listing them is enough. Run after changing devDeps.
"""
import json
import pathlib

lock_path = pathlib.Path(__file__).resolve().parent.parent / 'package-lock.json'
lock = json.loads(lock_path.read_text())
packages = lock['packages']
biome = packages['node_modules/@biomejs/biome']
for name, version in biome.get('optionalDependencies', {}).items():
    key = f'node_modules/{name}'
    if key in packages:
        continue
    platform = name.split('cli-', 1)[1]  # e.g. win32-x64, linux-arm64-musl
    os_name, cpu, *rest = platform.split('-')
    entry = {'version': version, 'cpu': [cpu], 'dev': True, 'license': biome.get('license'), 'optional': True,
             'os': [os_name], 'engines': biome.get('engines')}
    if rest:
        entry['libc'] = rest
    packages[key] = entry
lock['packages'] = dict(sorted(packages.items(), key=lambda kv: (kv[0] != '', kv[0])))
lock_path.write_text(json.dumps(lock, indent=2) + '\n')
