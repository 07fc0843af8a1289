"""The code keeps the layer order of ``server/layers.py``: no domain imports a domain above it
(so none imports another both ways), the kernel imports no domain, and only the assembly
modules put them together. Imports are read with ``ast``, lazy ones inside functions included.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import server
from server.layers import ASSEMBLY, LAYERS, VOCABULARY, VOCABULARY_EXCEPTIONS

SERVER = Path(server.__file__).parent
RANK = {name: rank for rank, name in enumerate(LAYERS)}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is written."""

    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def module_names(root: Path = SERVER) -> dict[str, Path]:
    """Every module of the ``server`` package by dotted name (a package by its own name)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = ("server", *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[Import]:
    """The ``server`` modules ``module`` imports (``from package import module`` names the
    module; ``from module import name`` the module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target == "server" or target.startswith("server."):
                yield Import(module, target, node.lineno)


def all_imports() -> list[Import]:
    names = module_names()
    found = [i for name, path in names.items() for i in imports_of(name, path, set(names))]
    return sorted(found, key=lambda i: (i.importer, i.line, i.imported))


def domain_of(module: str) -> str | None:
    """The layered domain a module belongs to (``server.flags.rules`` → ``flags``), else None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def assembly_of(module: str) -> str | None:
    """The :data:`ASSEMBLY` module (or package) ``module`` is, or is part of, else None."""
    for name in ASSEMBLY:
        if module == name or (name != "server" and module.startswith(name + ".")):
            return name
    return None


def between_domains(imports: list[Import]) -> list[Import]:
    return [
        i
        for i in imports
        if domain_of(i.importer) and domain_of(i.imported)
        if domain_of(i.importer) != domain_of(i.imported)
    ]


def upward(imports: list[Import]) -> list[Import]:
    """Imports of a domain from a domain above it."""
    return [
        i
        for i in between_domains(imports)
        if RANK[domain_of(i.imported)] > RANK[domain_of(i.importer)]
    ]


def two_way(imports: list[Import]) -> list[tuple[str, str]]:
    """Pairs of domains that import each other, each pair once."""
    pairs = {(domain_of(i.importer), domain_of(i.imported)) for i in between_domains(imports)}
    return sorted((a, b) for a, b in pairs if (b, a) in pairs and RANK[a] < RANK[b])


def kernel_importing_domains(imports: list[Import]) -> list[Import]:
    """Imports of a domain by a kernel module that is not an assembly module."""
    return [
        i
        for i in imports
        if domain_of(i.importer) is None and assembly_of(i.importer) is None
        if domain_of(i.imported) is not None
    ]


def importing_assembly(imports: list[Import]) -> list[Import]:
    """Imports of an assembly module by a domain or by the kernel (only create_app's own
    ``server`` package may gather them)."""
    return [
        i
        for i in imports
        if assembly_of(i.imported) is not None and assembly_of(i.importer) is None
    ]


def listing(found: list) -> str:
    return "\n".join(str(item) for item in found)


def test_no_domain_imports_a_domain_above_it() -> None:
    found = upward(all_imports())
    assert not found, f"{len(found)} upward import(s), see server/layers.py:\n{listing(found)}"


def test_no_two_domains_import_each_other() -> None:
    found = two_way(all_imports())
    assert not found, f"{len(found)} pair(s) import each other:\n{listing(found)}"


def test_the_kernel_imports_no_domain() -> None:
    found = kernel_importing_domains(all_imports())
    assert not found, f"kernel modules importing a domain (or add to ASSEMBLY):\n{listing(found)}"


def test_only_the_application_factory_imports_the_assembly_modules() -> None:
    found = importing_assembly(all_imports())
    assert not found, f"imports of an assembly module:\n{listing(found)}"


def test_every_domain_has_its_place_and_every_assembly_module_exists() -> None:
    """A package with tables or routes is a domain, so it cannot pass for kernel unnoticed;
    a declared layer may not exist yet (``measures`` is planned)."""
    names = module_names()
    domains = {
        path.parent.name
        for path in SERVER.glob("*/*.py")
        if path.name in ("models.py", "routes.py")
        and assembly_of(f"server.{path.parent.name}") is None
    }
    assert domains <= set(LAYERS), domains - set(LAYERS)
    assert len(set(LAYERS)) == len(LAYERS)
    assert set(ASSEMBLY) <= set(names)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The parser finds absolute, relative and lazy imports, so a violation cannot hide."""
    package = tmp_path / "server"
    (package / "tracking").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tracking" / "__init__.py").write_text("")
    (package / "tracking" / "services.py").write_text(
        "from server.flags import services\n"
        "from ..reminders.services import refresh\n"
        "def later():\n"
        "    import server.clock\n"
    )
    names = module_names(package)
    found = list(imports_of("server.tracking.services", names["server.tracking.services"], set()))
    assert [(i.imported, i.line) for i in found] == [
        ("server.flags", 1),
        ("server.reminders.services", 2),
        ("server.clock", 4),
    ]
    assert [str(i) for i in upward(found)] == [
        "server.tracking.services:1 imports server.flags",
        "server.tracking.services:2 imports server.reminders.services",
    ]


def domain_modules() -> list[str]:
    """Every module directly in a domain package, as ``domain.module`` (a package by its name)."""
    found = []
    for domain in LAYERS:
        package = SERVER / domain
        if not package.is_dir():
            continue  # a planned domain
        for path in sorted(package.iterdir()):
            if path.name == "__init__.py" or path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py":
                found.append(f"{domain}.{path.stem}")
            elif (path / "__init__.py").is_file():
                found.append(f"{domain}.{path.name}")
    return found


def readme_exceptions() -> dict[str, str]:
    """The README's table of modules outside the vocabulary: module -> reason."""
    text = (SERVER.parent / "README.md").read_text(encoding="utf-8")
    table = text.split("| module | why it stands apart |", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:] if line.startswith("|")]
    return {name.strip().strip("`"): reason.strip() for name, reason in rows}


def test_every_domain_module_is_in_the_vocabulary_or_a_named_exception() -> None:
    outside = [
        module
        for module in domain_modules()
        if module.partition(".")[2] not in VOCABULARY and module not in VOCABULARY_EXCEPTIONS
    ]
    assert outside == [], (
        "outside the vocabulary, with no reason in server/layers.py:\n" + "\n".join(outside)
    )


def test_every_named_exception_exists_and_is_outside_the_vocabulary() -> None:
    present = set(domain_modules())
    stale = [
        module
        for module in VOCABULARY_EXCEPTIONS
        if module not in present or module.partition(".")[2] in VOCABULARY
    ]
    assert stale == [], "named exceptions that are gone or in the vocabulary: " + ", ".join(stale)


def test_the_readme_lists_the_same_exceptions_with_the_same_reasons() -> None:
    assert readme_exceptions() == VOCABULARY_EXCEPTIONS


def test_every_route_is_a_method_view() -> None:
    function_views = [
        f"{path.relative_to(SERVER.parent)}:{node.lineno} {node.name}"
        for path in sorted(SERVER.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
        and any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "route"
            for d in node.decorator_list
        )
    ]
    assert function_views == [], "function views, not MethodViews:\n" + "\n".join(function_views)
