"""Small built-in vocabularies: skills and places the rules recognise in free text.

They are deliberately short and hand-checked against the HN and Indeed postings; ESCO supplies
the role vocabulary (see ``esco.py``).
"""

from __future__ import annotations

# Display name of each skill; matching uses canonical tokens (see text.tokens).
SKILLS: tuple[str, ...] = (
    "Python", "Java", "JavaScript", "TypeScript", "Go", "Rust", "C++", "C#", "Ruby", "PHP", "Scala",
    "Kotlin", "Swift", "Elixir", "Haskell", "Clojure", "R", "SQL", "Julia", "Dart", "Perl",
    "React", "React Native", "Angular", "Vue", "Next.js", "Node.js", "Django", "Flask", "FastAPI",
    "Rails", "Spring", "Laravel", "WordPress", "Flutter", "GraphQL", ".NET", "Svelte", "Tailwind",
    "AWS", "GCP", "Azure", "Kubernetes", "Docker", "Terraform", "Ansible", "Linux", "Kafka", "Spark",
    "Airflow", "Snowflake", "dbt", "PostgreSQL", "MySQL", "MongoDB", "Redis", "Elasticsearch",
    "PyTorch", "TensorFlow", "scikit-learn", "Pandas", "NumPy", "LLM", "NLP", "Computer Vision",
    "Machine Learning", "Deep Learning", "Data Analysis", "Statistics", "Tableau", "Power BI", "Excel",
    "Blockchain", "Solidity", "Ethereum", "Web3", "Selenium", "Figma", "iOS", "Android", "Embedded",
    "CI/CD", "Git", "REST", "Microservices", "Salesforce", "SAP", "SEO", "Recruitment", "Payroll",
    "Onboarding", "Sourcing", "Communication", "Cyber Security", "Networking", "Penetration Testing",
    "SIEM", "Product Management", "Agile", "Scrum", "Jira", "HTML", "CSS", "Hadoop", "Oracle",
)

# Short or common-word skills: only matched in structured skill lists, never in free text.
AMBIGUOUS_SKILLS: frozenset[str] = frozenset({"go", "r", "c", "swift", "spring", "rails", "excel", "git",
                                             "communication", "statistics", "embedded", "agile", "rest"})

# city -> country, for matching a country query against a city location and back.
CITIES: dict[str, str] = {
    "berlin": "germany", "munich": "germany", "hamburg": "germany", "frankfurt": "germany",
    "london": "united kingdom", "manchester": "united kingdom", "edinburgh": "united kingdom",
    "cambridge": "united kingdom", "dublin": "ireland", "paris": "france", "amsterdam": "netherlands",
    "stockholm": "sweden", "copenhagen": "denmark", "oslo": "norway", "helsinki": "finland",
    "zurich": "switzerland", "geneva": "switzerland", "madrid": "spain", "barcelona": "spain",
    "lisbon": "portugal", "warsaw": "poland", "prague": "czech republic", "vienna": "austria",
    "athens": "greece", "tel aviv": "israel", "toronto": "canada", "vancouver": "canada",
    "montreal": "canada", "new york": "united states", "san francisco": "united states",
    "seattle": "united states", "austin": "united states", "boston": "united states",
    "chicago": "united states", "los angeles": "united states", "denver": "united states",
    "miami": "united states", "atlanta": "united states", "washington": "united states",
    "palo alto": "united states", "mountain view": "united states", "san jose": "united states",
    "san diego": "united states", "portland": "united states", "philadelphia": "united states",
    "pittsburgh": "united states", "salt lake city": "united states", "cleveland": "united states",
    "bengaluru": "india", "pune": "india", "hyderabad": "india", "mumbai": "india", "chennai": "india",
    "gurgaon": "india", "noida": "india", "delhi": "india", "new delhi": "india", "kolkata": "india",
    "ahmedabad": "india", "kochi": "india", "jaipur": "india", "indore": "india", "surat": "india",
    "mohali": "india", "coimbatore": "india", "thiruvananthapuram": "india", "chandigarh": "india",
    "singapore": "singapore", "tokyo": "japan", "sydney": "australia", "melbourne": "australia",
    "brisbane": "australia", "perth": "australia", "auckland": "new zealand", "sao paulo": "brazil",
    "mexico city": "mexico", "buenos aires": "argentina", "cape town": "south africa", "dubai": "united arab emirates",
}

COUNTRIES: frozenset[str] = frozenset(CITIES.values()) | frozenset({"europe", "emea", "latam", "apac"})

# Alternative spellings -> the name used above.
PLACE_ALIASES: dict[str, str] = {
    "sf": "san francisco", "bay area": "san francisco", "nyc": "new york", "new york city": "new york",
    "la": "los angeles", "bangalore": "bengaluru", "gurugram": "gurgaon", "bombay": "mumbai",
    "madras": "chennai", "calcutta": "kolkata", "uk": "united kingdom", "england": "united kingdom",
    "us": "united states", "usa": "united states", "u.s.": "united states", "united states of america": "united states",
    "munchen": "munich", "münchen": "munich", "zürich": "zurich", "dc": "washington", "ncr": "delhi",
    "ny": "new york",
}
