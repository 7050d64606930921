"""Facets read from job-posting text: skills, remote policy, employment type, seniority.

Plain keyword rules, precise rather than exhaustive; used where a data set has no structured
field. The vocabularies are the canonical values semstream writes into events:

* remote: ``remote`` | ``hybrid`` | ``onsite``
* employment_type: ``full-time`` | ``part-time`` | ``contract`` | ``internship`` | ``freelance``
* seniority: :data:`SENIORITY_LEVELS`
"""

from __future__ import annotations

import re

from semstream.schemas import RemotePolicy

SENIORITY_LEVELS = ("intern", "junior", "mid", "senior", "staff", "lead", "manager", "director", "executive")

# canonical skill -> "|"-separated aliases (whole tokens/phrases). Aliases of the skills in
# _CASE_SENSITIVE match only with that exact case ("Swift", "SQL", "Go"), the rest in any case.
SKILLS: dict[str, str] = {
    "Python": "python", "TypeScript": "typescript", "JavaScript": "javascript|js", "Java": "java",
    "Go": "golang|Go", "Rust": "rust", "C++": "c++", "C#": "c#", "Ruby": "ruby", "Rails": "rails|ruby on rails",
    "PHP": "php", "Kotlin": "kotlin", "Swift": "Swift", "Scala": "scala", "Elixir": "elixir", "Clojure": "clojure",
    "Dart": "Dart", "Solidity": "solidity", "React": "react|reactjs|react.js", "React Native": "react native",
    "Next.js": "next.js|nextjs", "Vue": "vue|vue.js|vuejs", "Angular": "angular|angularjs", "Svelte": "svelte",
    "Node.js": "node|node.js|nodejs", "Django": "django", "FastAPI": "fastapi", "Flask": "flask",
    "Spring Boot": "spring boot", ".NET": ".net|dotnet", "Laravel": "laravel", "GraphQL": "graphql", "gRPC": "grpc",
    "REST APIs": "rest api|rest apis|restful api|restful apis", "HTML": "html|html5", "CSS": "css|css3",
    "Tailwind": "tailwind|tailwindcss", "Flutter": "flutter", "iOS": "iOS", "Android": "android",
    "PostgreSQL": "postgres|postgresql", "MySQL": "mysql", "SQL Server": "sql server|mssql", "Oracle": "Oracle",
    "MongoDB": "mongo|mongodb", "Redis": "redis", "Cassandra": "cassandra", "Elasticsearch": "elasticsearch|elastic search",
    "SQL": "SQL", "NoSQL": "nosql", "Snowflake": "Snowflake", "BigQuery": "bigquery", "Kafka": "kafka",
    "Spark": "Spark|pyspark|PySpark", "Hadoop": "hadoop", "Airflow": "airflow", "dbt": "dbt", "ETL": "etl",
    "Data Warehousing": "data warehouse|data warehousing", "AWS": "aws|amazon web services",
    "GCP": "gcp|google cloud", "Azure": "azure", "Kubernetes": "kubernetes|k8s", "Docker": "docker",
    "Terraform": "terraform", "Ansible": "ansible", "Linux": "linux", "Git": "Git", "CI/CD": "ci/cd|ci / cd",
    "Jenkins": "jenkins", "GitHub Actions": "github actions", "Microservices": "microservices|micro-services",
    "PyTorch": "pytorch", "TensorFlow": "tensorflow", "scikit-learn": "scikit-learn|sklearn|scikit learn",
    "Pandas": "pandas", "NumPy": "numpy", "Machine Learning": "machine learning", "Deep Learning": "deep learning",
    "NLP": "nlp|natural language processing", "Computer Vision": "computer vision",
    "LLMs": "llm|llms|large language model|large language models", "LangChain": "langchain",
    "Hugging Face": "hugging face|huggingface", "CUDA": "CUDA", "Statistics": "statistics|statistical",
    "Excel": "Excel|MS Excel|ms excel", "Power BI": "power bi|powerbi", "Tableau": "tableau",
    "Data Analysis": "data analysis|data analytics", "Blockchain": "blockchain", "Ethereum": "ethereum",
    "Smart Contracts": "smart contract|smart contracts", "Web3": "web3|web 3", "Cybersecurity": "cybersecurity|cyber security",
    "Penetration Testing": "penetration testing|pen testing|pentesting", "SIEM": "SIEM",
    "Network Security": "network security", "Figma": "figma", "Selenium": "selenium", "Salesforce": "salesforce",
    "SAP": "SAP", "Agile": "Agile", "Scrum": "scrum", "Jira": "jira", "Product Management": "product management",
    "Recruitment": "recruitment|recruiting", "Payroll": "payroll", "Onboarding": "onboarding",
    "Employee Relations": "employee relations",
}
_CASE_SENSITIVE = {"Go", "Swift", "Dart", "iOS", "Oracle", "SQL", "Snowflake", "Spark", "dbt", "Git", "CUDA",
                   "Excel", "SIEM", "SAP", "Agile"}
# A skill whose alias is only ever part of a longer one ("react" inside "react native") is not counted.
_SHADOWED_BY = {"React": "react native"}
# Ambiguous aliases must also match this in the original text ("Go" in a list, not "Go to ...").
_CONFIRM = {"Go": re.compile(r"golang|(?<=[,/(&] )Go\b|(?<=[,/(])Go\b|\bGo(?=\s*[,/)&])|\bGo (developer|engineer|service|backend)", re.I)}
_TOKEN = re.compile(r"[A-Za-z0-9+#.]+")


_REMOTE_RULES: tuple[tuple[RemotePolicy, re.Pattern[str]], ...] = (
    ("hybrid", re.compile(r"\bhybrid\b|\d\s*(x|days?)\s*(/|a|per)?\s*week\b.*\b(office|onsite|on-site)", re.I)),
    ("remote", re.compile(r"\bremote\b|work from home|\bwfh\b|fully distributed", re.I)),
    ("onsite", re.compile(r"\bon-?site\b|\bin[- ]office\b|\bin[- ]person\b", re.I)),
)
_EMPLOYMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("full-time", re.compile(r"\bfull[- ]?time\b|\bpermanent\b", re.I)),
    ("part-time", re.compile(r"\bpart[- ]?time\b", re.I)),
    ("internship", re.compile(r"\binternship\b|\bintern\b", re.I)),
    ("contract", re.compile(r"\bcontract(ual|or)?\b|\b1099\b|\btemporary\b", re.I)),
    ("freelance", re.compile(r"\bfreelanc", re.I)),
)
_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("intern", re.compile(r"\bintern(ship)?\b|\btrainee\b", re.I)),
    ("executive", re.compile(r"\b(cto|ceo|cfo|coo|chief|vp|vice president)\b", re.I)),
    ("director", re.compile(r"\b(director|head of)\b", re.I)),
    ("staff", re.compile(r"\b(staff|principal|distinguished)\b", re.I)),
    ("lead", re.compile(r"\b(lead|tech lead|team lead)\b", re.I)),
    ("manager", re.compile(r"\b(engineering|team|development|delivery|general) manager\b", re.I)),
    ("senior", re.compile(r"\b(senior|sr\.?)\b", re.I)),
    ("junior", re.compile(r"\b(junior|jr\.?|entry[- ]level|fresher|graduate)\b", re.I)),
    ("mid", re.compile(r"\b(mid[- ]level|intermediate)\b", re.I)),
)


def _padded(text: str) -> str:
    """`` tok tok tok `` (``/``, ``-`` and punctuation split tokens), so `` alias `` is a whole-token match."""
    return " " + " ".join(t.rstrip(".") or t for t in _TOKEN.findall(text)) + " "


def _needles(skill: str) -> tuple[str, ...]:
    cased = skill in _CASE_SENSITIVE
    return tuple(_padded(a if cased else a.lower()) for a in SKILLS[skill].split("|"))


_NEEDLES = {skill: _needles(skill) for skill in SKILLS}


def _has_skill(skill: str, text: str, cased: str, lower: str) -> bool:
    haystack = cased if skill in _CASE_SENSITIVE else lower
    shadow = _SHADOWED_BY.get(skill)
    for needle in _NEEDLES[skill]:
        if needle not in haystack:
            continue
        if shadow is None or haystack.count(needle) > haystack.count(f" {shadow} "):
            return skill not in _CONFIRM or _CONFIRM[skill].search(text) is not None
    return False


def find_skills(text: str, limit: int = 15) -> list[str]:
    """Canonical skills named in ``text`` (whole-token matches), in vocabulary order, at most ``limit``."""
    cased = _padded(text)
    lower = cased.lower()
    return [skill for skill in SKILLS if _has_skill(skill, text, cased, lower)][:limit]


def _first(rules: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    return next((value for value, pat in rules if pat.search(text)), None)


def detect_remote(text: str) -> RemotePolicy | None:
    """hybrid beats remote beats onsite when several are named (``Remote or Onsite`` -> remote)."""
    return _first(_REMOTE_RULES, text)  # type: ignore[return-value]


def detect_employment(text: str) -> str | None:
    return _first(_EMPLOYMENT_RULES, text)


def detect_seniority(title: str) -> str | None:
    """Seniority named in a job title (the most specific rule wins)."""
    return _first(_SENIORITY_RULES, title)
