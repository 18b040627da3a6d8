"""Locales stage: hand-written names the packaged data lacks (demonyms, aliases, abbreviations, stop words)."""

from __future__ import annotations

# Short display names where Babel's English name is not what a news page prints.
COUNTRY_DISPLAY: dict[str, str] = {
    "US": "United States",
    "GB": "United Kingdom",
    "KR": "South Korea",
    "KP": "North Korea",
    "RU": "Russia",
    "CD": "DR Congo",
    "CG": "Congo",
    "PS": "Palestine",
}

# GeoNames-style representative points for countries whose package centroid sits far from it (gold data and other
# geoparsers use such points: a centroid hundreds of km away reads a right answer as wrong). Sources disagree
# (GeoNames has moved Canada's since 2009 by 900 km): these are the points most gold sets use.
COUNTRY_POINTS: dict[str, tuple[float, float]] = {
    "US": (39.76, -98.5),
    "CA": (60.0, -96.0),
    "RU": (60.0, 100.0),
    "CN": (35.0, 105.0),
    "AU": (-25.0, 135.0),
    "BR": (-10.0, -55.0),
    "GB": (54.75844, -2.69531),
    "IN": (22.0, 79.0),
    "MX": (23.0, -102.0),
    "FR": (46.0, 2.0),
}

# GeoNames' representative points for first-level regions whose package point is far from it: the package puts
# New York State on New York City, 280 km from the state's point, and Queensland 250 km from GeoNames'.
REGION_POINTS: dict[str, tuple[float, float]] = {
    "US-NY": (43.00035, -75.4999),
    "AU-QLD": (-20.0, 145.0),
}

COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": (
        "United States of America",
        "America",
        "the States",
        "EE.UU.",
        "EEUU",
        "Estados Unidos de América",
        "U.S.A.",
    ),
    "GB": ("Britain", "Great Britain", "Reino Unido", "Gran Bretaña"),
    "NL": ("Holland", "the Netherlands", "Países Bajos", "Holanda"),
    "KR": ("South Korea", "Corea del Sur", "Republic of Korea"),
    "KP": ("North Korea", "Corea del Norte"),
    "RU": ("Russia", "Rusia", "Russian Federation"),
    "IR": ("Iran", "Irán", "Persia"),
    "SY": ("Syria", "Siria"),
    "VE": ("Venezuela",),
    "BO": ("Bolivia",),
    "TZ": ("Tanzania",),
    "TW": ("Taiwan", "Taiwán"),
    "VN": ("Vietnam", "Viet Nam"),
    "LA": ("Laos",),
    "MD": ("Moldova",),
    "CZ": ("Czech Republic", "Czechia", "República Checa", "Chequia"),
    "CI": ("Ivory Coast", "Côte d'Ivoire", "Costa de Marfil"),
    "MM": ("Burma", "Myanmar", "Birmania"),
    "CD": ("Democratic Republic of Congo", "Democratic Republic of the Congo", "DR Congo", "Congo-Kinshasa"),
    "CG": ("Republic of Congo", "Congo-Brazzaville"),
    "PS": (
        "Palestine",
        "Gaza Strip",
        "West Bank",
        "Palestina",
        "Gaza",
        "Palestinian Territory",
        "Palestinian Territories",
    ),
    "VA": ("Vatican", "Vatican City", "Holy See", "Vaticano"),
    "MK": ("Macedonia", "North Macedonia"),
    "SZ": ("Swaziland", "Eswatini"),
    "TL": ("East Timor", "Timor-Leste"),
    "CV": ("Cape Verde", "Cabo Verde"),
    "TR": ("Turkey", "Türkiye", "Turquía"),
    "BN": ("Brunei",),
    "FM": ("Micronesia",),
    "HK": ("Hong Kong",),
    "TT": ("Trinidad", "Trinidad and Tobago", "Trinidad y Tobago"),
    "GE": ("South Ossetia",),  # Abkhazia is a region of its own in ISO 3166-2 (GE-AB): read as that region
    "MO": ("Macau", "Macao"),
}

COUNTRY_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "US": ("US", "U.S", "U.S.", "USA", "U.S.A", "U.S.A."),
    "GB": ("UK", "U.K", "U.K."),
    "AE": ("UAE", "U.A.E"),
    "CD": ("DRC",),
    "NZ": ("NZ",),
}

# Demonyms and nationality adjectives, English and Spanish (both genders, plural).
_DEMONYMS_RAW = """
AF Afghan Afghans afgano afgana afganos
AR Argentine Argentinian Argentinians Argentines argentino argentina argentinos argentinas
AU Australian Australians australiano australiana australianos
AT Austrian Austrians austriaco austriaca
BD Bangladeshi Bangladeshis
BE Belgian Belgians belga belgas
BO Bolivian Bolivians boliviano boliviana bolivianos bolivianas
BR Brazilian Brazilians brasileño brasileña brasileños brasileñas
CA Canadian Canadians canadiense canadienses
CL Chilean Chileans chileno chilena chilenos chilenas
CN Chinese chino china chinos chinas
CO Colombian Colombians colombiano colombiana colombianos colombianas
CR Costa Rican costarricense costarricenses
CU Cuban Cubans cubano cubana cubanos cubanas
DO Dominican dominicano dominicana dominicanos
EC Ecuadorian Ecuadorians ecuatoriano ecuatoriana ecuatorianos
EG Egyptian Egyptians egipcio egipcia egipcios
SV Salvadoran Salvadorans salvadoreño salvadoreña salvadoreños
FR French francés francesa franceses
DE German Germans alemán alemana alemanes alemanas
GR Greek Greeks griego griega griegos
GT Guatemalan Guatemalans guatemalteco guatemalteca guatemaltecos
HN Honduran Hondurans hondureño hondureña hondureños
IN Indian Indians indio india indios
ID Indonesian Indonesians indonesio indonesia
IR Iranian Iranians iraní iraníes
IQ Iraqi Iraqis iraquí iraquíes
IE Irish irlandés irlandesa
IL Israeli Israelis israelí israelíes
IT Italian Italians italiano italiana italianos italianas
JP Japanese japonés japonesa japoneses
KE Kenyan Kenyans keniano keniana
MX Mexican Mexicans mexicano mexicana mexicanos mexicanas
NL Dutch holandés holandesa neerlandés
NI Nicaraguan Nicaraguans nicaragüense nicaragüenses
NG Nigerian Nigerians nigeriano nigeriana
KP North Korean
KR South Korean
PK Pakistani Pakistanis paquistaní pakistaní
PA Panamanian Panamanians panameño panameña panameños
PY Paraguayan Paraguayans paraguayo paraguaya paraguayos
PE Peruvian Peruvians peruano peruana peruanos peruanas
PH Philippine Filipino Filipinos filipino filipina filipinos
PL Polish Poles polaco polaca polacos
PT Portuguese portugués portuguesa portugueses
PR Puerto Rican puertorriqueño puertorriqueña
RU Russian Russians ruso rusa rusos rusas
SA Saudi Saudis saudí saudíes
ZA South African sudafricano sudafricana
ES Spanish Spaniards español española españoles españolas
SE Swedish Swedes sueco sueca
CH Swiss suizo suiza
SY Syrian Syrians sirio siria sirios
TW Taiwanese taiwanés
TH Thai tailandés tailandesa
TR Turkish Turks turco turca turcos
UA Ukrainian Ukrainians ucraniano ucraniana ucranianos
GB British Briton Britons británico británica británicos
US American Americans estadounidense estadounidenses norteamericano norteamericana
UY Uruguayan Uruguayans uruguayo uruguaya uruguayos
VE Venezuelan Venezuelans venezolano venezolana venezolanos venezolanas
VN Vietnamese vietnamita vietnamitas
GE Georgian Georgians georgiano georgiana Ossetian
PS Palestinian Palestinians palestino palestina palestinos
SD Sudanese sudanés sudanesa
SS South Sudanese
LK Sri Lankan Sri Lankans
LB Lebanese libanés libanesa
JO Jordanian Jordanians jordano jordana
AE Emirati Emiratis
KW Kuwaiti Kuwaitis
QA Qatari Qataris
YE Yemeni Yemenis yemení
LY Libyan Libyans libio libia libios
TN Tunisian Tunisians tunecino tunecina
DZ Algerian Algerians argelino argelina
MA Moroccan Moroccans marroquí marroquíes
ET Ethiopian Ethiopians etíope etíopes
SO Somali Somalis somalí
UG Ugandan Ugandans
TZ Tanzanian Tanzanians
ZW Zimbabwean Zimbabweans
GH Ghanaian Ghanaians
SN Senegalese
CM Cameroonian Cameroonians
HT Haitian Haitians haitiano haitiana haitianos
JM Jamaican Jamaicans
NZ Zealander Zealanders neozelandés
DK Danish Danes danés danesa
NO Norwegian Norwegians noruego noruega
FI Finnish Finns finlandés finlandesa
IS Icelandic Icelanders
HU Hungarian Hungarians húngaro húngara
CZ Czech Czechs checo checa
SK Slovak Slovaks eslovaco
RO Romanian Romanians rumano rumana
BG Bulgarian Bulgarians búlgaro búlgara
RS Serbian Serbs Serb serbio serbia
HR Croatian Croats Croat croata
BA Bosnian Bosnians bosnio
AL Albanian Albanians albanés albanesa
BY Belarusian Belarusians bielorruso
KZ Kazakh Kazakhs Kazakhstani
UZ Uzbek Uzbeks
AM Armenian Armenians armenio armenia
AZ Azerbaijani Azerbaijanis Azeri
MN Mongolian Mongolians
MY Malaysian Malaysians malasio
SG Singaporean Singaporeans
KH Cambodian Cambodians camboyano
MM Burmese birmano
NP Nepali Nepalese
AF Afghani
SY Syrian
KR Korean Koreans coreano coreana
CY Cypriot Cypriots
LV Latvian
LT Lithuanian
EE Estonian
SI Slovenian Slovene Slovenes
MD Moldovan
MK Macedonian
ME Montenegrin
LU Luxembourger Luxembourgers
MT Maltese
BH Bahraini
OM Omani
TM Turkmen
KG Kyrgyz
TJ Tajik Tajiks
LA Laotian
BT Bhutanese
BN Bruneian
TL Timorese
AO Angolan
MZ Mozambican
ZM Zambian
MW Malawian
RW Rwandan
BI Burundian
CI Ivorian
ML Malian
NE Nigerien
TD Chadian
MR Mauritanian
ER Eritrean
BW Botswanan
NA Namibian
MG Malagasy
MU Mauritian
LR Liberian
GN Guinean
GM Gambian
BF Burkinabe
BJ Beninese
TG Togolese
GA Gabonese
FJ Fijian
TT Trinidadian
BS Bahamian
BB Barbadian
GY Guyanese
SR Surinamese
BZ Belizean
DJ Djiboutian
SC Seychellois
KM Comorian
AD Andorran
MC Monegasque
LI Liechtensteiner Liechtensteiners
SM Sammarinese
"""

DEMONYMS: dict[str, tuple[str, ...]] = {}
for _line in _DEMONYMS_RAW.strip().splitlines():
    _cc, _rest = _line.split(" ", 1)
    _words = tuple(_rest.split())
    # Two-word demonyms ("North Korean", "South African", "Costa Rican") are written joined on one line.
    if _rest.startswith(("North ", "South ", "Costa ", "Sri ")):
        _first = " ".join(_words[:2])
        _words = (_first, *_words[2:])
    # English plurals: "Russians", "Israelis".
    _plurals = tuple(w + "s" for w in _words if w[0].isupper() and w.endswith(("an", "i")) and " " not in w)
    DEMONYMS[_cc] = tuple(dict.fromkeys((*DEMONYMS.get(_cc, ()), *_words, *_plurals)))

DEMONYMS["GE"] = (*DEMONYMS["GE"], "South Ossetian", "South Ossetians")
DEMONYMS["LK"] = (*DEMONYMS.get("LK", ()), "Sinhalese")

# Abbreviations of big cities, by GeoNames id; matched as written.
CITY_ABBREVIATIONS: dict[int, tuple[str, ...]] = {
    5368361: ("L.A.",),  # Los Angeles
    5128581: ("NYC", "N.Y.C."),  # New York City
}

REGION_DISPLAY: dict[str, str] = {
    "US-DC": "District of Columbia",
    "GB-ENG": "England",
    "GB-SCT": "Scotland",
    "GB-WLS": "Wales",
    "GB-NIR": "Northern Ireland",
    "PE-LMA": "Lima",
    "MX-CMX": "Mexico City",
}

REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "US-DC": ("Washington D.C.", "Washington DC"),
    "VE-A": ("Caracas Capital District",),
    "CO-DC": ("Distrito Capital", "Bogotá D.C.", "Distrito Capital de Bogotá"),
    "ES-CT": ("Catalonia", "Cataluña"),
    "ES-AN": ("Andalusia",),
    "ES-PV": ("Basque Country", "Euskadi"),
    "ES-IB": ("Balearic Islands", "Baleares"),
    "ES-CN": ("Canary Islands", "Islas Canarias"),
    "IN-KA": ("Karnataka",),
    "CN-XZ": ("Tibet",),
    "RU-MOW": ("Moscow", "Moscú"),
    "RU-SPE": ("Saint Petersburg", "St. Petersburg", "San Petersburgo"),
}

# Adjectives of a first-level region that is named as a place of its own ("Abkhaz servicemen": Abkhazia, not all
# of Georgia).
REGION_DEMONYMS: dict[str, tuple[str, ...]] = {
    "GE-AB": ("Abkhaz", "Abkhazian", "Abkhazians"),
}

REGION_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "AU-NSW": ("NSW",),
    "CA-BC": ("B.C.",),
    "CA-ON": ("Ont.",),
}

# Names that are also common words or surnames: a place only with context ("Mobile, Ala.", "in Reading").
WEAK_NAMES: tuple[str, ...] = (
    "Of",
    "As",
    "Is",
    "Be",
    "Man",
    "Best",
    "Police",
    "Hospital",
    "University",
    "Center",
    "Centre",
    "Bank",
    "Union",
    "March",
    "Mobile",
    "Reading",
    "Nice",
    "Split",
    "Young",
    "Bath",
    "Sale",
    "Hope",
    "Liberty",
    "Mission",
    "Justice",
    "Commerce",
    "Independence",
    "Opportunity",
    "Enterprise",
    "Friendship",
    "Progress",
    "Victory",
    "Unity",
    "Wall",
    "Bay",
    "Laguna",
    "Colon",
    "Pride",
    "Lincoln",
    "Moore",
    "Martin",
    "Clinton",
    "Obama",
    "Bush",
    "Chavez",
    "Chávez",
    "Maduro",
)

# AP-style state abbreviations; they count only right after a comma ("Alexandria, La.").
US_AP_ABBREVIATIONS: dict[str, str] = {
    "Ala.": "AL", "Ariz.": "AZ", "Ark.": "AR", "Calif.": "CA", "Cal.": "CA", "Colo.": "CO",
    "Conn.": "CT", "Del.": "DE", "Fla.": "FL", "Ga.": "GA", "Ill.": "IL", "Ind.": "IN",
    "Kan.": "KS", "Kans.": "KS", "Ky.": "KY", "La.": "LA", "Md.": "MD", "Mass.": "MA",
    "Mich.": "MI", "Minn.": "MN", "Miss.": "MS", "Mo.": "MO", "Mont.": "MT", "Neb.": "NE",
    "Nebr.": "NE", "Nev.": "NV", "N.H.": "NH", "N.J.": "NJ", "N.M.": "NM", "N.Y.": "NY",
    "N.C.": "NC", "N.D.": "ND", "Okla.": "OK", "Ore.": "OR", "Pa.": "PA", "Penn.": "PA",
    "R.I.": "RI", "S.C.": "SC", "S.D.": "SD", "Tenn.": "TN", "Tex.": "TX", "Va.": "VA",
    "Vt.": "VT", "Wash.": "WA", "W.Va.": "WV", "W. Va.": "WV", "Wis.": "WI", "Wisc.": "WI", "Wyo.": "WY",
    "D.C.": "DC",
}  # fmt: skip

# The AP abbreviations that are no English word, read wherever they stand ("Ky. jail", "Major Mich. utilities");
# the others ("Mass.", "Ind.", "La.") only after "Town, " or a party's letters ("D-Mass.").
ABBREVIATIONS_ANYWHERE: frozenset[str] = frozenset({
    "Ala.", "Ariz.", "Calif.", "Colo.", "Conn.", "Fla.", "Ga.", "Kan.", "Kans.", "Ky.", "Md.", "Mich.", "Minn.",
    "Neb.", "Nebr.", "Nev.", "Okla.", "Tenn.", "Tex.", "Va.", "Vt.", "Wis.", "Wisc.", "Wyo.",
})  # fmt: skip

# Words that are never a place on their own, whatever an alternate-name list says.
JUNK_WORDS: frozenset[str] = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december lunes martes miercoles jueves viernes sabado domingo enero
    febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    north south east west central northern southern eastern western northeast northwest southeast
    southwest norte sur este oeste centro city area metro gulf island islands coast valley river lake
    mountain county state province region district capital downtown midtown uptown village town
    una uno unos unas las los del con por para como pero sin sobre entre hasta desde este esta ese esa
    continental reservoir celebration ridge brush eagle toyota honda nissan minister secretary chief officer judge sheriff deputy alto bajo nuevo nueva gran grande superior phila pacific atlantic arctic andes puerto cordillera sierra marina mauricio valle cerro playa bahia golfo isla lago mar rio
    hamas rodeo reserve chamber mound bar willow tour liberal van evens god art labor labour great much more most new old big little jewish christian muslim arab
    police hospital university college school church center centre bank union court house white
    black red green blue gold silver king queen prince princess lord saint san santa mount
    said says home post star sun moon ocean beach park street road avenue mission hope victory
    liberty justice commerce independence opportunity enterprise friendship progress unity pride
    best early many man men women children people world earth national international federal
    united general president governor mayor senator congress senate house office department
    republic kingdom empire nation land lands sea bay cape port fort point rock hill hills
    spring springs falls grove heights view vista plaza market mall airport station
    """.split()
)

# Common first names and surnames that are also town names: places only with context ("Mitchell, S.D.").
PERSON_NAMES: frozenset[str] = frozenset(
    """
    angus christopher matthew donald mary george david douglas james john paul peter michael robert
    william thomas richard charles joseph daniel mark steven kevin brian edward ronald anthony kenneth jason
    jeffrey gary timothy larry scott
    eric stephen andrew raymond gregory joshua jerry dennis walter patrick harold carl arthur ryan roger
    joe albert jonathan justin terry gerald keith samuel ralph lawrence nicholas roy benjamin bruce
    adam harry fred wayne billy steve louis jeremy aaron randy howard russell bobby victor ernest
    phillip todd jesse craig alan shawn clarence sean philip chris johnny earl jimmy danny bryan tony
    mike stanley leonard nathan dale rodney curtis norman allen marvin vincent glenn travis jeff chad
    jacob lee melvin alfred kyle francis bradley herbert frederick ray joel edwin don eddie ricky troy
    randall barry bernard marcus theodore clifford oscar jay jim tom calvin alex jon ronnie bill lloyd
    tommy leon derek warren darrell jerome floyd leo alvin tim wesley gordon dean greg dustin derrick
    dan zachary corey herman maurice vernon clyde glen shane rick lester brent charlie gilbert gene marc
    reginald brett nathaniel leslie edgar milton ben chester cecil duane andre elmer brad gabriel ron
    roland arnold harvey jared adrian karl cory claude erik darryl jamie neil jessie ted mathew darren
    lance cody kurt allan guy clayton hugh max dwayne dwight felix everett ian wallace ken bob casey
    dave ivan sidney byron julian isaac morris willard daryl ross virgil andy kirk seth kent rene wade
    patricia linda barbara jennifer maria susan margaret dorothy lisa nancy karen betty helen sandra
    donna carol ruth sharon michelle laura sarah kimberly deborah jessica shirley cynthia angela melissa
    brenda amy anna rebecca kathleen pamela martha debra amanda stephanie carolyn christine marie janet
    catherine frances ann joyce diane alice julie heather teresa doris gloria evelyn jean cheryl mildred
    katherine joan ashley judith rose janice kelly nicole judy christina kathy theresa denise tammy
    irene jane lori rachel marilyn andrea kathryn louise sara anne jacqueline wanda bonnie julia ruby
    lois tina phyllis norma paula diana annie lillian emily robin peggy crystal gladys rita dawn connie
    edna tiffany carmen rosa cindy grace wendy edith kim sherry sylvia josephine thelma shannon sheila
    ethel ellen elaine marjorie carrie monica esther pauline emma juanita anita rhonda hazel amber eva
    debbie clara lucille joanne eleanor valerie danielle megan alicia suzanne michele gail bertha
    darlene veronica jill erin geraldine lauren cathy joann lorraine lynn sally regina erica beatrice
    dolores bernice audrey yvonne annette june samantha dana stacy renee ida vivian roberta holly
    smith johnson williams brown jones miller davis wilson anderson taylor thomas moore martin thompson
    white harris clark lewis robinson walker young allen king wright hill green adams baker nelson
    carter mitchell roberts turner phillips campbell parker evans edwards collins stewart morris rogers
    reed cook morgan bell murphy bailey cooper richardson cox howard ward peterson gray james watson
    brooks kelly sanders price bennett wood barnes ross henderson coleman jenkins perry powell long
    patterson hughes flores washington butler simmons foster bryant alexander russell griffin hayes
    myers ford hamilton graham sullivan wallace woods cole west jordan owens reynolds fisher ellis
    harrison gibson mcdonald marshall hunt crawford dyer robertson hopkins middleton hall mason hudson
    dixon hunter palmer stone porter burns gordon warren ferguson webb tucker spencer fields mills
    pierce lane hart armstrong payne boyd duncan elliott riley willis carroll hawkins austin lawrence
    chapman hicks welch jennings foley carpenter dillon lamont sylvester colton raby edison hailey corbin mcpherson webster heath blair grant burton flores
    """.split()
)

# Multi-word strings that alternate-name lists attach to places but news means otherwise.
JUNK_PHRASES: frozenset[str] = frozenset({"white house", "main street", "city hall", "high school"})


# -- context words read by the tagger's rules and the toponym recogniser's features (accent-folded) ------------

# Words after a currency's name: "500 bolívares fuertes".
CURRENCY_NEXT: frozenset[str] = frozenset(
    {"fuerte", "fuertes", "soberano", "soberanos", "digital", "digitales"}
)
# Currency units after a country's name or demonym: "68 US dollars", "dólares estadounidenses".
CURRENCY_UNITS: frozenset[str] = frozenset(
    {"dollar", "dollars", "dolar", "dolares", "cent", "cents", "peso", "pesos", "pound", "pounds"}
)
# Words after a demonym that make it a language or a unit, not a place: "French surtitles", "British thermal
# units", "subtítulos en inglés" reads the other way and is left alone.
LANGUAGE_NEXT: frozenset[str] = frozenset({
    "language", "languages", "speaker", "speakers", "speaking", "surtitles", "subtitles", "translation",
    "translations", "thermal", "idioma", "subtitulos", "traduccion",
})  # fmt: skip
# Spanish articles, as written: "la Caracas" (the avenue), never before a town's own name.
SPANISH_ARTICLES: frozenset[str] = frozenset({"la", "el", "los", "las"})
SPANISH_FIRST_NAMES: frozenset[str] = frozenset({
    "simon", "jose", "juan", "carlos", "luis", "miguel", "jesus", "antonio", "francisco", "pedro",
    "manuel", "rafael", "hugo", "nicolas", "maria", "ana", "alejandro", "fernando", "jorge", "diego",
    "pablo", "andres", "ricardo", "eduardo", "sergio", "javier", "alberto", "gabriel", "leopoldo",
    "henrique", "diosdado", "hector", "ramon", "julio", "enrique", "rosa", "carmen", "lucia", "elena",
    "isabel", "teresa", "gloria", "patricia", "laura", "marta", "daniel", "david", "oscar", "luz",
    "mauricio", "alvaro", "gustavo", "ivan", "camilo", "andrea", "paola", "catalina", "sofia",
})  # fmt: skip
TITLES: frozenset[str] = frozenset({
    "mr", "mrs", "ms", "dr", "president", "presidente", "gen", "general", "gov", "governor",
    "sen", "senator", "rep", "judge", "sr", "sra", "don", "dona", "saint", "san", "santa",
    "mayor", "coach", "officer", "sgt", "capt", "lt", "col", "prof", "professor", "sheriff",
    "deputy", "chief", "detective", "trooper", "pastor", "rev", "father", "sister", "brother",
    "attorney", "commissioner", "councilman", "councilwoman", "chairman", "superintendent",
    "principal", "spokesman", "spokeswoman", "secretary", "minister", "ministro", "alcalde",
    "gobernador", "senador", "diputado", "coronel", "capitan", "padre",
})  # fmt: skip
PLACE_PREFIXES: frozenset[str] = frozenset({
    "estado", "state", "province", "provincia", "city", "ciudad", "county", "region", "departamento", "municipio", "northern", "southern", "eastern", "western", "central",
    "north", "south", "east", "west", "greater", "upper", "lower", "new", "norte", "sur", "of",
    "de", "del", "in", "en", "from", "to", "near", "at",
})  # fmt: skip
STRONG_PLACE_PREFIXES: frozenset[str] = frozenset({
    "estado", "state", "province", "provincia", "city", "ciudad", "county", "region", "departamento",
    "municipio", "of",
})  # fmt: skip
PLACE_SUFFIXES: frozenset[str] = frozenset({
    "state", "estado", "province", "provincia", "region", "city", "department", "departamento",
    "county", "parish", "municipality", "valley", "area", "island", "islands",
})  # fmt: skip
INSTITUTIONS: frozenset[str] = frozenset({
    "police", "fire", "city", "town", "council", "school", "schools", "board", "department", "sheriff",
    "mayor", "parks", "public", "library", "hospital", "medical", "community", "chamber", "high",
    "middle", "elementary", "regional", "memorial", "municipal", "township", "village", "police's",
    "planning", "zoning", "housing", "water", "utilities", "court", "district", "area", "airport",
    "historical", "convention", "downtown", "fairgrounds", "commission", "commissioners",
    # a town's own clubs, services and buildings: "Tega Cay Volunteer Fire Department", "Flemington Elks Lodge"
    "volunteer", "volunteers", "museum", "lodge", "elks", "rotary", "kiwanis", "metropolitan", "recreation",
    "marina", "senior", "seniors", "junior", "youth", "rescue", "emergency", "ambulance", "transit", "zoo",
    "symphony", "historic", "farmers", "selectman", "selectmen", "aldermen", "firefighters", "officers",
})  # fmt: skip
ORGANISATION_SUFFIXES: frozenset[str] = frozenset({
    "post", "times", "tech", "university", "college", "inc", "corp", "company", "airlines",
    "airways", "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "hall",
    "herald", "tribune", "journal", "daily", "news", "press", "fc", "united", "school",
    "club", "bank", "church", "senators", "nationals",
    "redskins", "wizards", "capitals", "state",
})  # fmt: skip
FUNCTION_WORDS: frozenset[str] = frozenset({
    "the", "in", "of", "and", "a", "an", "at", "on", "for", "from", "to", "by", "with", "but",
    "or", "as", "after", "before", "near", "into", "while", "when", "where", "since", "until",
    "el", "la", "los", "las", "en", "de", "del", "y", "e", "o", "con", "por", "para", "desde",
    "hasta", "entre", "sobre", "al", "un", "una", "this", "that", "his", "her", "their", "its",
    "said", "says", "dijo", "if", "so", "both", "all", "across", "through", "throughout", "via",
    "outside", "inside", "around", "toward", "towards", "against", "about", "like", "than",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "april", "june", "july", "august", "september", "october",
    "november", "december", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado",
    "domingo", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
    "septiembre", "octubre", "noviembre", "diciembre",
})  # fmt: skip
LOCATIVE_WORDS: frozenset[str] = frozenset({"in", "en", "from", "desde", "near", "to", "at"})
# Words after a name that make it a town's: its own police, council and schools ("Lebanon Police", "Jordan
# Elementary School"); a country's would take its demonym ("Lebanese police").
LOCAL_BODIES: frozenset[str] = frozenset({
    "police", "council", "city", "town", "township", "village", "elementary", "middle", "high", "school",
    "schools", "fire", "library", "mayor", "residents", "resident", "league", "borough", "selectmen",
    "aldermen", "alderman", "firefighters", "officers", "township's", "park", "parks", "man", "woman", "men",
    "women", "boy", "girl", "teen", "teenager", "couple", "family",
})  # fmt: skip
# A party's letters before a hyphen and a legislator's home town: "Rep. Jay Roberts (R-Ocilla)", "DFL-Chisholm".
PARTY_HYPHEN: frozenset[str] = frozenset({"r", "d", "i", "dfl", "gop", "ind"})
# Words after a name that say a person or an organisation acts: "Fairfield could spend", "Millington also
# denied" (the recogniser weighs them with the name's kind: "Paris said" is rare, a defendant's name is not).
PERSON_VERBS: frozenset[str] = frozenset({
    "said", "says", "told", "added", "asked", "denied", "admitted", "pleaded", "testified", "wrote",
    "explained", "noted", "believes", "thinks", "could", "would", "should", "might", "also", "dijo",
    "afirmo", "declaro",
})  # fmt: skip
# Words after a demonym that make it a culture's, not a place's: "Italian food", "Irish songs", "British author".
CULTURE_NEXT: frozenset[str] = frozenset({
    "food", "foods", "cuisine", "restaurant", "restaurants", "dish", "dishes", "cooking", "wine", "wines",
    "beer", "cheese", "bread", "coffee", "tea", "music", "musician", "musicians", "song", "songs", "dance",
    "dancing", "dancer", "dancers", "film", "films", "filmmaker", "movie", "movies", "director", "actor",
    "actress", "actors", "author", "authors", "writer", "writers", "novelist", "novel", "poet", "poetry",
    "artist", "artists", "painter", "painting", "art", "singer", "band", "composer", "opera", "chef",
    "style", "design", "designer", "fashion", "festival", "heritage", "descent", "ancestry", "accent",
    "culture", "cultural", "tradition", "traditional", "history", "literature", "philosopher", "scholar",
    "car", "cars", "bulldog", "shepherd", "breed", "horse", "dressing", "fries", "toast", "word", "words",
    "version", "edition", "champion", "team", "player", "players", "club", "league", "open", "grand",
})  # fmt: skip
# Words after a demonym that make it the state's or its people's: "Russian troops", "Georgian government".
STATE_NEXT: frozenset[str] = frozenset({
    "troops", "forces", "army", "military", "soldiers", "navy", "government", "officials", "authorities",
    "president", "prime", "minister", "ministry", "foreign", "defense", "defence", "parliament", "leader",
    "leaders", "police", "border", "borders", "territory", "side", "capital", "embassy", "ambassador",
    "diplomats", "diplomat", "citizens", "citizen", "nationals", "national", "people", "state", "regime",
    "officials'", "peacekeepers", "villages", "village", "town", "towns", "city", "cities", "region",
    "economy", "media", "press", "court", "courts", "election", "elections", "opposition", "rebels",
    "separatists", "refugees", "settlers", "settlements", "attack", "attacks", "aggression", "invasion",
    "occupation", "republic", "administration", "counterpart", "counterparts", "delegation", "security",
})  # fmt: skip
COMMON_WORDS: frozenset[str] = frozenset({
    "mobile", "reading", "march", "may", "young", "bath", "nice", "split", "sale", "hope",
    "orange", "liberty", "mission", "justice", "commerce", "independence", "opportunity",
    "enterprise", "friendship", "progress", "victory", "concord", "unity", "wall", "bay",
    "pride", "police", "hospital", "university", "center", "centre", "bank", "union", "best",
    "man", "of", "as", "is", "be", "home", "post", "star", "sun", "ocean", "river", "lake",
    "beach", "park", "city", "valley", "early", "many", "most", "van", "deal",
    "buy", "why", "who", "what", "mercedes", "ita", "colon", "laguna", "florida", "media",
    "salt", "gas", "energy", "democrat", "republican", "normal",
})  # fmt: skip

# -- places the gazetteer has no entry for -------------------------------------------------------------------------

# Continents, seas, unions and named areas: (country it lies in, or "" when it spans several; latitude; longitude).
# They help the recogniser and resolve other names ("Darfur" supports Sudan) but are never page locales.
AREAS: dict[str, tuple[str, float, float]] = {
    "Europe": ("", 48.69, 9.14), "Africa": ("", 7.19, 21.09), "Asia": ("", 29.84, 89.3),
    "North America": ("", 46.07, -100.55), "South America": ("", -14.6, -57.66),
    "Latin America": ("", -14.6, -57.66), "Central America": ("", 12.77, -85.6),
    "Oceania": ("", -18.31, 138.52), "Antarctica": ("", -78.16, 16.41), "Americas": ("", 19.0, -90.0),
    "Middle East": ("", 29.0, 41.0), "Mideast": ("", 29.0, 41.0), "Caribbean": ("", 15.0, -73.0),
    "Caucasus": ("", 42.0, 45.0), "Balkans": ("", 42.0, 21.0), "Scandinavia": ("", 62.0, 15.0),
    "West Africa": ("", 12.0, -2.0), "East Africa": ("", 1.0, 38.0), "North Africa": ("", 27.0, 10.0),
    "Southern Africa": ("", -22.0, 25.0), "Sub-Saharan Africa": ("", 2.0, 20.0),
    "Southeast Asia": ("", 5.0, 110.0), "South Asia": ("", 22.0, 79.0), "Central Asia": ("", 45.0, 68.0),
    "East Asia": ("", 35.0, 115.0), "Western Europe": ("", 48.0, 4.0), "Eastern Europe": ("", 50.0, 30.0),
    "Northern Europe": ("", 60.0, 15.0), "Southern Europe": ("", 41.0, 14.0),
    "European Union": ("", 48.69, 9.14), "EU": ("", 48.69, 9.14), "Soviet Union": ("", 60.0, 100.0),
    "Pacific": ("", 0.0, -160.0), "Pacific Ocean": ("", 0.0, -160.0), "Atlantic": ("", 10.0, -25.0),
    "Atlantic Ocean": ("", 10.0, -25.0), "Indian Ocean": ("", -10.0, 70.0), "Arctic": ("", 78.0, 0.0),
    "Arctic Ocean": ("", 85.0, 0.0), "Mediterranean": ("", 35.0, 18.0), "Mediterranean Sea": ("", 35.0, 18.0),
    "Black Sea": ("", 43.0, 34.0), "Baltic Sea": ("", 58.0, 20.0), "Baltic": ("", 58.0, 20.0),
    "Caspian Sea": ("", 42.0, 51.0), "Red Sea": ("", 20.0, 38.0), "Persian Gulf": ("", 27.0, 51.0),
    "Gulf of Mexico": ("", 25.0, -90.0), "South China Sea": ("", 12.0, 114.0), "Sahara": ("", 23.0, 13.0),
    "New England": ("US", 43.5, -71.5), "Midwest": ("US", 42.0, -93.0), "Pacific Northwest": ("US", 46.0, -121.0),
    "Great Lakes": ("US", 45.0, -84.0), "Darfur": ("SD", 13.5, 24.0), "Kashmir": ("IN", 34.0, 76.0),
    "Crimea": ("UA", 45.0, 34.0), "Sumatra": ("ID", 0.0, 102.0), "Borneo": ("ID", 1.0, 114.0),
    "Siberia": ("RU", 60.0, 105.0), "Patagonia": ("AR", -45.0, -69.0), "Anatolia": ("TR", 39.0, 35.0),
    "Kurdistan": ("IQ", 36.5, 44.0), "Bavaria": ("DE", 48.9, 11.4), "Tskhinvali": ("GE", 42.23, 43.97),
    "Newfoundland": ("CA", 49.0, -56.0), "Yucatán": ("MX", 20.5, -89.0), "Amazonia": ("BR", -3.0, -60.0),
}  # fmt: skip

# What kind of feature a word of a feature's name says it is ("River": a waterbody, "Township": a settlement): the
# recogniser reads the kind, never the word (so no kind is named by one of its words).
FEATURE_KINDS: dict[str, frozenset[str]] = {
    "transport": frozenset({
        "street", "st.", "road", "rd.", "drive", "dr.", "avenue", "ave.", "boulevard", "blvd.", "parkway",
        "highway", "lane", "way", "pike", "trail", "crossing", "route", "interstate",
    }),
    "waterbody": frozenset({
        "river", "creek", "lake", "bay", "harbor", "harbour", "reservoir", "falls", "springs", "sea", "ocean",
        "canal", "gulf", "cove", "bayou", "pond", "marsh", "swamp", "delta", "beach", "coast", "rio",
    }),
    "landform": frozenset({
        "mountain", "mountains", "island", "islands", "valley", "canyon", "hill", "hills", "ridge", "forest",
        "woods", "wilderness", "desert", "plains", "peninsula", "pass", "point", "glacier", "range", "gap",
        "hollow", "mesa", "basin", "grove", "cape", "isla", "mount", "mt.",
    }),
    "settlement": frozenset({
        "township", "twp.", "village", "city", "colony", "heights", "estates", "station", "province",
        "prefecture", "district", "quarter", "fort", "ft.", "port",
    }),
    "site": frozenset({"park", "bridge", "square", "plaza", "dam", "airport"}),
}  # fmt: skip
# Words that end the name of a street, river, park or other feature below a town ("Wichita Drive", "Neches
# River"): the recogniser reads the capitalised words before one as a candidate place in the article's town.
FEATURE_SUFFIXES: frozenset[str] = frozenset().union(*FEATURE_KINDS.values()) - {
    "rio", "isla", "mount", "mt.", "cape", "fort", "ft.", "port", "route", "interstate",
}  # fmt: skip
# Feature suffixes that a route number may follow ("County Road 43", "State Highway 360", "Illinois Route 159").
NUMBERED_FEATURE_SUFFIXES: frozenset[str] = frozenset({"road", "rd.", "highway", "route", "pike", "trail"})
# Capitalised words that open a sentence, a count or an organisation before a feature name and are no part of it
# ("A Goose Creek man", "Eight Florida Highway Patrol troopers", "United Way"); function words count too.
FEATURE_OPENERS: frozenset[str] = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "several", "some", "many", "most", "every", "each", "no", "united",
})  # fmt: skip
# Words that start one: "Lake Lanier", "Mount Pleasant", "Highway 19".
FEATURE_PREFIXES: frozenset[str] = frozenset({
    "lake", "mount", "mt.", "fort", "ft.", "port", "cape", "isla", "rio", "highway", "route", "interstate",
})  # fmt: skip
