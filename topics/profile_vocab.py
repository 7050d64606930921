"""Built-in vocabularies of the synthetic profile generator (names, places, companies, skills).

Invented or generic values only; no real person is described. Company names are fictional.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aarav Aditi Adam Aisha Akira Alejandro Alice Amara Ana Andrei Anika Arjun Astrid Ben Camila Chen Chloe "
    "Daniel Diego Divya Elena Emeka Emma Ethan Fatima Felix Freya Gabriel Hana Hugo Ines Ivan Jamal Javier "
    "Jin Julia Kai Karan Kenji Lara Leila Liam Lina Lucas Maya Mei Mohammed Nadia Nikhil Noah Nora Olga "
    "Omar Priya Rahul Ravi Rosa Sakura Samuel Sara Sofia Tariq Tomas Valentina Wei Yara Yusuf Zara Zoe"
).split()

LAST_NAMES = (
    "Abe Adeyemi Ahmed Alvarez Andersson Bauer Becker Brown Chen Costa Das Dubois Eriksen Fernandez Fischer "
    "Garcia Gupta Hansen Hoffmann Ibrahim Ito Iyer Jensen Kapoor Khan Kim Kowalski Kumar Larsen Lee Lopez "
    "Martin Meyer Moreau Muller Nakamura Nguyen Novak Okafor Olsen Patel Petrov Reddy Rossi Sato Schmidt "
    "Shah Silva Singh Smith Sokolova Tanaka Taylor Wagner Wang Weber Williams Wilson Yamamoto Zhang"
).split()

# (city, country); "Remote" means no fixed location.
CITIES: tuple[tuple[str, str | None], ...] = (
    ("Berlin", "Germany"), ("Munich", "Germany"), ("London", "United Kingdom"), ("Manchester", "United Kingdom"),
    ("New York", "United States"), ("San Francisco", "United States"), ("Seattle", "United States"),
    ("Austin", "United States"), ("Boston", "United States"), ("Toronto", "Canada"), ("Amsterdam", "Netherlands"),
    ("Paris", "France"), ("Dublin", "Ireland"), ("Stockholm", "Sweden"), ("Zurich", "Switzerland"),
    ("Barcelona", "Spain"), ("Warsaw", "Poland"), ("Bengaluru", "India"), ("Hyderabad", "India"), ("Pune", "India"),
    ("Mumbai", "India"), ("Singapore", "Singapore"), ("Sydney", "Australia"), ("Tel Aviv", "Israel"),
    ("Remote", None),
)

COMPANIES = (
    "Northwind Labs", "Bluefin Analytics", "Copperleaf Systems", "Juniper Health", "Orbital Freight",
    "Lumen Retail", "Quarry Bank", "Tidewater Energy", "Meridian Insurance", "Kestrel Robotics",
    "Saffron Foods", "Atlas Logistics", "Harbor Media", "Ironbark Security", "Willow Education",
    "Granite Cloud", "Pioneer Telecom", "Cedar Pharma", "Nimbus Software", "Solstice Travel",
)

# Used when the ESCO occupations file is absent: (title, ISCO group).
FALLBACK_OCCUPATIONS: tuple[tuple[str, str], ...] = (
    ("software developer", "2512"), ("web developer", "2513"), ("mobile application developer", "2514"),
    ("data scientist", "2511"), ("data engineer", "2511"), ("data analyst", "2511"), ("machine learning engineer", "2519"),
    ("DevOps engineer", "2512"), ("cloud engineer", "2523"), ("ICT security administrator", "2529"),
    ("database administrator", "2521"), ("network engineer", "2523"), ("software tester", "2519"),
    ("user interface designer", "2166"), ("user experience designer", "2166"), ("ICT project manager", "2511"),
    ("product manager", "1223"), ("ICT business analyst", "2511"), ("enterprise architect", "2511"),
    ("blockchain developer", "2512"), ("embedded systems software developer", "2512"), ("ICT support technician", "3512"),
    ("chief technology officer", "1120"), ("software manager", "1330"), ("financial analyst", "2413"),
    ("accountant", "2411"), ("marketing manager", "1221"), ("sales manager", "1221"), ("human resources manager", "1212"),
    ("recruiter", "2423"), ("business consultant", "2421"), ("management consultant", "2421"),
    ("operations manager", "1321"), ("supply chain manager", "1324"), ("customer success manager", "2433"),
    ("technical writer", "2641"), ("graphic designer", "2166"), ("mechanical engineer", "2144"),
    ("electrical engineer", "2151"), ("civil engineer", "2142"),
)

# Skill families, chosen by keywords in the occupation title or by ISCO group prefix.
SKILL_FAMILIES: dict[str, tuple[str, ...]] = {
    "data": ("Python", "SQL", "Pandas", "Statistics", "Machine Learning", "Spark", "Airflow", "Tableau", "dbt", "Excel"),
    "ml": ("Python", "PyTorch", "TensorFlow", "Machine Learning", "Deep Learning", "NLP", "LLMs", "scikit-learn", "CUDA"),
    "security": ("Cybersecurity", "Network Security", "SIEM", "Penetration Testing", "Linux", "Python", "AWS", "Azure"),
    "cloud": ("AWS", "GCP", "Azure", "Kubernetes", "Docker", "Terraform", "Linux", "CI/CD", "Ansible", "Python"),
    "web": ("JavaScript", "TypeScript", "React", "Node.js", "HTML", "CSS", "Next.js", "GraphQL", "Vue", "Figma"),
    "mobile": ("Kotlin", "Swift", "iOS", "Android", "Flutter", "React Native", "Dart", "Git"),
    "software": ("Python", "Java", "Go", "TypeScript", "PostgreSQL", "Docker", "Kubernetes", "Microservices",
                 "REST APIs", "Git", "Rust", "C++", "Redis", "Kafka"),
    "design": ("Figma", "User Research", "Prototyping", "Adobe Creative Suite", "Design Systems", "Accessibility"),
    "product": ("Product Management", "Agile", "Scrum", "Jira", "Roadmapping", "Stakeholder Management", "SQL"),
    "business": ("Excel", "Financial Modelling", "Stakeholder Management", "Salesforce", "SAP", "Negotiation",
                 "Budgeting", "Power BI", "Project Management"),
    "people": ("Recruitment", "Onboarding", "Payroll", "Employee Relations", "Workday", "Coaching"),
    "engineering": ("AutoCAD", "SolidWorks", "MATLAB", "Project Management", "Six Sigma", "Quality Assurance"),
    "general": ("Communication", "Project Management", "Customer Service", "Excel", "Teamwork", "Planning"),
}

FAMILY_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("machine learning", "ml"), ("artificial intelligence", "ml"), ("data", "data"), ("security", "security"),
    ("cloud", "cloud"), ("devops", "cloud"), ("network", "cloud"), ("web", "web"), ("mobile", "mobile"),
    ("designer", "design"), ("product", "product"), ("software", "software"), ("developer", "software"),
    ("programmer", "software"), ("ICT", "software"), ("human resources", "people"), ("recruit", "people"),
)
FAMILY_BY_ISCO: tuple[tuple[str, str], ...] = (
    ("25", "software"), ("35", "cloud"), ("2166", "design"), ("21", "engineering"), ("31", "engineering"),
    ("24", "business"), ("12", "business"), ("13", "business"), ("14", "business"), ("33", "business"),
)
