"""Report strings in English and French, and number/date formatting.

Taxonomy labels (phases, touchpoints, emotions, stages) are not here: they come
from the taxonomy (`voc_nlp.taxonomy.Taxonomy.label`). These are the report's own words.
"""

from __future__ import annotations

import math
from datetime import date, datetime

LANGUAGES = ("en", "fr")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Voice of the customer — journey report",
        "generated": "Generated {when} from {source}",
        "nav": "Sections",
        "overview": "Overview",
        "journey": "Journey map",
        "curve": "Emotion curve along the journey",
        "pain": "Top pain points",
        "trends": "Trends",
        "impact": "Impact on rating",
        "chats": "Chats: did the customer's mood improve?",
        "method": "How to read this report",
        "items": "Items",
        "items_analysed": "items analysed",
        "errors": "items with errors (not counted)",
        "share_negative": "Negative",
        "share_positive": "Positive",
        "net_sentiment": "Net sentiment",
        "net_help": "Net sentiment = share positive − share negative, in points (−100 … +100).",
        "mean_rating": "Avg rating",
        "period": "Period covered",
        "no_dates": "no dates in this data",
        "top_emotions": "Top emotions (share of items expressing each)",
        "by_channel": "By channel",
        "by_language": "By language",
        "channel": "Channel",
        "language": "Language",
        "none_value": "(none)",
        "no_journey": "No journey tagging in this data: phase and touchpoints are empty.",
        "no_topics": "No pain-point topics in this data: topic columns are empty.",
        "no_rating": "No rating column in this data: impact on rating cannot be measured.",
        "no_impact_tags": "No journey tagging and no pain-point topics in this data: nothing to rank by impact on rating.",
        "no_impact": "Not enough rated items mentioning a touchpoint or topic to measure an impact.",
        "no_chats": "No chat conversations (items with speaker turns) in this data.",
        "no_trend": "Not enough dated items to draw trends.",
        "phase": "Phase",
        "stage": "Stage",
        "touchpoint": "Touchpoint",
        "no_touchpoint": "(no touchpoint)",
        "no_phase": "(no phase)",
        "outside_journey": "Outside the journey",
        "total": "Total",
        "journey_help": "Each cell: items about that touchpoint in that phase. Colour = net sentiment "
                        "(red negative, green positive; pale when fewer than {min} items). "
                        "Number = items; signed number = net sentiment; the word = dominant emotion. "
                        "Hover a cell for details.",
        "journey_hidden": "{n} touchpoints of the taxonomy do not appear in this data and are not shown.",
        "curve_help": "Share of items in each phase expressing each emotion (an item can express several). "
                      "Hover a point for values.",
        "emotion": "Emotion",
        "dominant_emotion": "Dominant emotion",
        "topic": "Pain point",
        "keywords": "Keywords",
        "share": "Share",
        "trend": "Trend",
        "where": "Main touchpoints and phases",
        "quotes": "What customers say",
        "emerging": "emerging",
        "emerging_topics": "Emerging topics",
        "pain_help": "Pain points: items flagged as pain points (or, when the flag is absent, negative items) "
                     "of each topic. Share = of all analysed items. Trend = share in the last {recent} vs before "
                     "(points); the sparkline shows items per {grain}.",
        "trend_help": "Volume (bars) and net sentiment (line) per {grain}. Emerging: a topic whose share in the "
                      "last {recent} is at least {lift}× its share before, with at least {min} items.",
        "no_emerging": "No emerging topic.",
        "recent_items": "Recent items",
        "before_share": "Share before",
        "recent_share": "Recent share",
        "lift": "Lift",
        "week": "week",
        "month": "month",
        "weeks": "{n} weeks",
        "months": "{n} months",
        "impact_help": "How much each touchpoint or topic pulls the average rating ({overall} over {n} rated items) "
                       "down or up: (average rating of items mentioning it − average of the others) × share of rated "
                       "items mentioning it. It is how much the overall average would rise if those items were rated "
                       "like the rest. Most damaging first.",
        "kind": "Kind",
        "mentions": "Rated items",
        "rating_with": "Avg with",
        "rating_without": "Avg without",
        "gap": "Gap",
        "impact_col": "Impact on avg",
        "chats_help": "Conversations (items with speaker turns). Mood = sentiment score (−1 … +1) of the customer's "
                      "first turn vs their last turn, as the pipeline read it (mood_start, mood_end, mood_change): "
                      "improved or worsened when it moved by at least components.sentiment.mood_threshold (0.2 by "
                      "default). Conversations with fewer than two scored customer turns are not compared ({short}).",
        "conversations": "Conversations compared",
        "improved": "Improved",
        "unchanged": "Unchanged",
        "worsened": "Worsened",
        "mood_first": "Avg first turn",
        "mood_last": "Avg last turn",
        "method_text": "Counts are items (one feedback, post, review or conversation each); an item about several "
                       "touchpoints counts once for each. Items with a processing error are left out. Touchpoint "
                       "cells use the aspect sentiment of that touchpoint when the record has one, else the item's "
                       "sentiment. Tables behind every chart can be written as CSV/Parquet with --tables.",
        "costs": "Cost of contacts (estimate)",
        "churn": "Churn risk and effort",
        "nonpurchase": "Why customers did not buy",
        "nps": "NPS and CSAT",
        "layer_sentiment": "Sentiment",
        "layer_churn": "Churn risk",
        "layer_effort": "High effort",
        "layer_help": "Churn risk / High effort layers: the share of the cell's items with that signal (among those "
                      "carrying the signals), redder when higher; the small number is those items.",
        "no_signals": "No churn-risk or effort signals in this data (records enriched without the signals component).",
        "no_contacts": "No contacts stated or implied in this data: nothing to price.",
        "cost_total": "Estimated cost",
        "contacts": "Contacts",
        "contacts_word": "contacts",
        "items_with_contacts": "Items with a contact",
        "costs_help": "An estimate with stated assumptions. Contacts per item and channel: the number the customer "
                      "states (\"called three times\" = 3 phone contacts, \"j'ai appelé 2 fois\" = 2; a mention "
                      "without a number = 1; the item itself when it is a chat or a call), at least 1 for a channel a "
                      "touchpoint of the item implies (call centre → phone, store or staff → face to face, website or "
                      "help centre → web, live chat → chat). Cost = contacts × unit cost per contact: {assumptions} "
                      "(contact_costs in the config). Feedback names only some of the contacts really made, so this is "
                      "a floor for these items, not a contact-centre bill. Topic and touchpoint rows overlap (an item "
                      "counts in each of its touchpoints); the total counts each item once.",
        "not_priced": "not priced",
        "unpriced": "{n} contacts are on channels without a unit cost and are counted, not priced.",
        "by_contact_channel": "By contact channel",
        "by_topic": "By pain-point topic",
        "by_touchpoint": "By touchpoint",
        "ch_web": "Web / self-service",
        "ch_ivr": "IVR",
        "ch_chat": "Chat",
        "ch_phone": "Phone",
        "ch_face_to_face": "Face to face",
        "ch_email": "Email",
        "ch_social": "Social media",
        "churn_help": "Churn risk: the customer states or implies leaving, cancelling, switching or not buying again. "
                      "High effort: repeated contacts, transfers, waits, chasing. Shares are of the items with these "
                      "signals; the journey map's Churn risk and High effort layers show them per touchpoint and phase. "
                      "Reasons: the pain-point topics (or touchpoints, without topics) of churn-risk items, with quotes.",
        "no_churn": "No churn-risk item in this data.",
        "no_non_purchase_field": "No non-purchase field in this data (records enriched without the non_purchase component).",
        "no_non_purchase": "No item in the consideration or purchase phases says the customer did not or could not buy.",
        "non_purchase_help": "{n} items in the consideration or purchase phases say the customer did not or could not buy "
                             "(\"abandoned my cart\", \"out of stock\", \"trop cher\", …; phrases per language in "
                             "configs/rules), grouped by the touchpoint they are about (price, product information, "
                             "delivery, payment…; an item counts for each of its touchpoints), with quotes.",
        "no_topic": "(no topic)",
        "promoters": "Promoters (9–10)",
        "detractors": "Detractors (0–6)",
        "responses": "responses",
        "mean_csat": "Avg CSAT (1–5)",
        "csat_satisfied": "Satisfied (4–5)",
        "nps_help": "NPS = % promoters (9–10) − % detractors (0–6) among items with a likelihood-to-recommend answer "
                    "(nps, 0–10); CSAT = satisfaction 1–5 (csat): average and share answering 4 or 5.",
        "nps_trend": "NPS per period (line) and responses (bars)",
        "no_nps": "No NPS or CSAT column in this data (enrich with --nps-col / --csat-col, or name the column nps, "
                  "likelihood_to_recommend, csat…).",
        "no_nps_drivers": "Not enough NPS answers mentioning a touchpoint or topic to rank drivers.",
        "nps_drivers": "What moves NPS",
        "nps_drivers_help": "For each touchpoint and topic with at least 3 answers: (NPS of the items mentioning it − NPS "
                            "of the others) × their share of answers = how many points of the overall NPS it costs "
                            "(negative) or earns (positive). Most damaging first.",
        "nps_points": "NPS points",
        "items_word": "items",
        "of": "of",
        "more": "more",
    },
    "fr": {
        "title": "Voix du client — rapport parcours",
        "generated": "Généré le {when} à partir de {source}",
        "nav": "Sections",
        "overview": "Vue d'ensemble",
        "journey": "Carte du parcours client",
        "curve": "Courbe des émotions le long du parcours",
        "pain": "Principaux points de douleur",
        "trends": "Tendances",
        "impact": "Impact sur la note",
        "chats": "Conversations : l'humeur du client s'est-elle améliorée ?",
        "method": "Comment lire ce rapport",
        "items": "Verbatims",
        "items_analysed": "verbatims analysés",
        "errors": "verbatims en erreur (non comptés)",
        "share_negative": "Négatifs",
        "share_positive": "Positifs",
        "net_sentiment": "Sentiment net",
        "net_help": "Sentiment net = part de positifs − part de négatifs, en points (−100 … +100).",
        "mean_rating": "Note moy.",
        "period": "Période couverte",
        "no_dates": "aucune date dans ces données",
        "top_emotions": "Émotions principales (part des verbatims qui l'expriment)",
        "by_channel": "Par canal",
        "by_language": "Par langue",
        "channel": "Canal",
        "language": "Langue",
        "none_value": "(aucun)",
        "no_journey": "Pas de marquage du parcours dans ces données : phase et points de contact sont vides.",
        "no_topics": "Pas de thèmes de points de douleur dans ces données : les colonnes de thème sont vides.",
        "no_rating": "Pas de colonne de note dans ces données : l'impact sur la note ne peut pas être mesuré.",
        "no_impact_tags": "Pas de marquage du parcours ni de thèmes dans ces données : rien à classer par impact sur la note.",
        "no_impact": "Trop peu de verbatims notés mentionnant un point de contact ou un thème pour mesurer un impact.",
        "no_chats": "Pas de conversations (verbatims avec tours de parole) dans ces données.",
        "no_trend": "Pas assez de verbatims datés pour tracer des tendances.",
        "phase": "Phase",
        "stage": "Étape",
        "touchpoint": "Point de contact",
        "no_touchpoint": "(sans point de contact)",
        "no_phase": "(sans phase)",
        "outside_journey": "Hors parcours",
        "total": "Total",
        "journey_help": "Chaque case : verbatims sur ce point de contact dans cette phase. Couleur = sentiment net "
                        "(rouge négatif, vert positif ; pâle sous {min} verbatims). "
                        "Nombre = verbatims ; nombre signé = sentiment net ; le mot = émotion dominante. "
                        "Survolez une case pour le détail.",
        "journey_hidden": "{n} points de contact de la taxonomie n'apparaissent pas dans ces données et ne sont pas affichés.",
        "curve_help": "Part des verbatims de chaque phase exprimant chaque émotion (un verbatim peut en exprimer "
                      "plusieurs). Survolez un point pour les valeurs.",
        "emotion": "Émotion",
        "dominant_emotion": "Émotion dominante",
        "topic": "Point de douleur",
        "keywords": "Mots-clés",
        "share": "Part",
        "trend": "Tendance",
        "where": "Principaux points de contact et phases",
        "quotes": "Ce que disent les clients",
        "emerging": "émergent",
        "emerging_topics": "Thèmes émergents",
        "pain_help": "Points de douleur : verbatims signalés comme points de douleur (ou, sans ce signal, verbatims "
                     "négatifs) de chaque thème. Part = sur l'ensemble des verbatims analysés. Tendance = part sur "
                     "les {recent} les plus récents vs avant (points) ; la mini-courbe montre les verbatims par {grain}.",
        "trend_help": "Volume (barres) et sentiment net (ligne) par {grain}. Émergent : un thème dont la part sur les "
                      "{recent} les plus récents vaut au moins {lift}× sa part d'avant, avec au moins {min} verbatims.",
        "no_emerging": "Aucun thème émergent.",
        "recent_items": "Verbatims récents",
        "before_share": "Part avant",
        "recent_share": "Part récente",
        "lift": "Multiplicateur",
        "week": "semaine",
        "month": "mois",
        "weeks": "{n} semaines",
        "months": "{n} mois",
        "impact_help": "De combien chaque point de contact ou thème tire la note moyenne ({overall} sur {n} verbatims "
                       "notés) vers le bas ou le haut : (note moyenne des verbatims qui le mentionnent − moyenne des "
                       "autres) × part des verbatims notés qui le mentionnent. C'est la hausse de la moyenne globale si "
                       "ces verbatims étaient notés comme les autres. Les plus pénalisants d'abord.",
        "kind": "Type",
        "mentions": "Verbatims notés",
        "rating_with": "Moy. avec",
        "rating_without": "Moy. sans",
        "gap": "Écart",
        "impact_col": "Impact sur la moy.",
        "chats_help": "Conversations (verbatims avec tours de parole). Humeur = score de sentiment (−1 … +1) du "
                      "premier tour du client vs son dernier tour, telle que le pipeline l'a lue (mood_start, mood_end, "
                      "mood_change) : améliorée ou dégradée quand il bouge d'au moins components.sentiment.mood_threshold "
                      "(0,2 par défaut). Les conversations de moins de deux tours client notés ne sont pas comparées ({short}).",
        "conversations": "Conversations comparées",
        "improved": "Améliorée",
        "unchanged": "Stable",
        "worsened": "Dégradée",
        "mood_first": "Moy. 1er tour",
        "mood_last": "Moy. dernier tour",
        "method_text": "Les comptes sont des verbatims (un avis, message, commentaire ou conversation chacun) ; un "
                       "verbatim sur plusieurs points de contact compte une fois pour chacun. Les verbatims en erreur "
                       "sont exclus. Les cases de points de contact utilisent le sentiment de l'aspect quand le "
                       "verbatim en a un, sinon son sentiment global. Les tableaux derrière chaque graphique peuvent "
                       "être écrits en CSV/Parquet avec --tables.",
        "costs": "Coût des contacts (estimation)",
        "churn": "Risque de départ et effort",
        "nonpurchase": "Pourquoi les clients n'ont pas acheté",
        "nps": "NPS et CSAT",
        "layer_sentiment": "Sentiment",
        "layer_churn": "Risque de départ",
        "layer_effort": "Effort élevé",
        "layer_help": "Calques Risque de départ / Effort élevé : part des verbatims de la case porteurs du signal (parmi "
                      "ceux qui ont les signaux), plus rouge quand elle monte ; le petit nombre compte ces verbatims.",
        "no_signals": "Pas de signaux de risque de départ ni d'effort dans ces données (verbatims enrichis sans le composant signals).",
        "no_contacts": "Aucun contact mentionné ou implicite dans ces données : rien à chiffrer.",
        "cost_total": "Coût estimé",
        "contacts": "Contacts",
        "contacts_word": "contacts",
        "items_with_contacts": "Verbatims avec un contact",
        "costs_help": "Une estimation, hypothèses explicites. Contacts par verbatim et canal : le nombre que le client "
                      "indique (« j'ai appelé 2 fois » = 2 contacts téléphone, « called three times » = 3 ; une mention "
                      "sans nombre = 1 ; le verbatim lui-même quand c'est un chat ou un appel), au moins 1 pour un canal "
                      "qu'implique un point de contact du verbatim (centre d'appels → téléphone, magasin ou personnel → "
                      "face à face, site ou centre d'aide → web, chat → chat). Coût = contacts × coût unitaire : "
                      "{assumptions} (contact_costs dans la configuration). Les verbatims ne citent qu'une partie des "
                      "contacts réels : c'est un plancher pour ces verbatims, pas la facture du centre de contacts. Les "
                      "lignes par thème et par point de contact se recoupent (un verbatim compte pour chacun de ses "
                      "points de contact) ; le total compte chaque verbatim une fois.",
        "not_priced": "non chiffré",
        "unpriced": "{n} contacts sont sur des canaux sans coût unitaire : comptés, non chiffrés.",
        "by_contact_channel": "Par canal de contact",
        "by_topic": "Par thème de point de douleur",
        "by_touchpoint": "Par point de contact",
        "ch_web": "Web / selfcare",
        "ch_ivr": "Serveur vocal",
        "ch_chat": "Chat",
        "ch_phone": "Téléphone",
        "ch_face_to_face": "Face à face",
        "ch_email": "E-mail",
        "ch_social": "Réseaux sociaux",
        "churn_help": "Risque de départ : le client dit ou laisse entendre qu'il part, résilie, change de marque ou "
                      "n'achètera plus. Effort élevé : contacts répétés, transferts, attentes, relances. Parts sur les "
                      "verbatims porteurs de ces signaux ; les calques Risque de départ et Effort élevé de la carte du "
                      "parcours les montrent par point de contact et phase. Raisons : les thèmes (ou points de contact, "
                      "sans thèmes) des verbatims à risque, avec citations.",
        "no_churn": "Aucun verbatim à risque de départ dans ces données.",
        "no_non_purchase_field": "Pas de champ non-achat dans ces données (verbatims enrichis sans le composant non_purchase).",
        "no_non_purchase": "Aucun verbatim des phases considération ou achat ne dit que le client n'a pas acheté ou n'a pas pu acheter.",
        "non_purchase_help": "{n} verbatims des phases considération ou achat disent que le client n'a pas acheté ou n'a "
                             "pas pu acheter (« abandonné mon panier », « plus en stock », « too expensive »… ; phrases "
                             "par langue dans configs/rules), regroupés par point de contact concerné (prix, information "
                             "produit, livraison, paiement… ; un verbatim compte pour chacun), avec citations.",
        "no_topic": "(sans thème)",
        "promoters": "Promoteurs (9–10)",
        "detractors": "Détracteurs (0–6)",
        "responses": "réponses",
        "mean_csat": "CSAT moyen (1–5)",
        "csat_satisfied": "Satisfaits (4–5)",
        "nps_help": "NPS = % promoteurs (9–10) − % détracteurs (0–6) parmi les verbatims avec une note de recommandation "
                    "(nps, 0–10) ; CSAT = satisfaction 1–5 (csat) : moyenne et part de 4 ou 5.",
        "nps_trend": "NPS par période (ligne) et réponses (barres)",
        "no_nps": "Pas de colonne NPS ni CSAT dans ces données (enrichir avec --nps-col / --csat-col, ou nommer la "
                  "colonne nps, likelihood_to_recommend, csat…).",
        "no_nps_drivers": "Trop peu de réponses NPS mentionnant un point de contact ou un thème pour classer les leviers.",
        "nps_drivers": "Ce qui fait bouger le NPS",
        "nps_drivers_help": "Pour chaque point de contact et thème avec au moins 3 réponses : (NPS des verbatims qui le "
                            "mentionnent − NPS des autres) × leur part des réponses = combien de points du NPS global il "
                            "coûte (négatif) ou rapporte (positif). Les plus pénalisants d'abord.",
        "nps_points": "Points de NPS",
        "items_word": "verbatims",
        "of": "sur",
        "more": "de plus",
    },
}

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}


class Strings:
    """Report words and number formats for one language."""

    def __init__(self, lang: str = "en"):
        if lang not in STRINGS:
            raise ValueError(f"unsupported report language {lang!r}; use one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._s = STRINGS[lang]

    def __call__(self, key: str, **kwargs) -> str:
        text = self._s.get(key) or STRINGS["en"].get(key) or key
        return text.format(**kwargs) if kwargs else text

    def has(self, key: str) -> bool:
        return key in self._s or key in STRINGS["en"]

    # -- numbers -------------------------------------------------------------

    def int(self, value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = f"{int(round(value)):,}"
        return text.replace(",", "\u202f") if self.lang == "fr" else text

    def num(self, value, digits: int = 2) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def pct(self, share, digits: int = 0) -> str:
        """A share in [0, 1] as a percentage."""
        if share is None or (isinstance(share, float) and math.isnan(share)):
            return "–"
        if digits == 0 and 0 < abs(share) < 0.01:
            digits = 1  # 0.5% is not 0%
        text = self.num(100 * share, digits)
        return f"{text}\u202f%" if self.lang == "fr" else f"{text}%"

    def signed(self, value, digits: int = 0) -> str:
        """A signed number with a real minus sign (net sentiment points, rating gaps)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        rounded = round(value, digits)
        text = self.num(abs(rounded), digits)
        if rounded > 0:
            return "+" + text
        if rounded < 0:
            return "\u2212" + text
        return text

    def net(self, share) -> str:
        """Net sentiment share in [-1, 1] as signed points."""
        if share is None or (isinstance(share, float) and math.isnan(share)):
            return "–"
        return self.signed(100 * share)

    # -- dates ---------------------------------------------------------------

    def period(self, moment, grain: str) -> str:
        if moment is None:
            return "–"
        day = moment.date() if isinstance(moment, datetime) else moment
        if grain == "month":
            return f"{MONTHS[self.lang][day.month - 1]} {day.year}"
        return self.date(day)

    def date(self, moment) -> str:
        if moment is None:
            return "–"
        day = moment.date() if isinstance(moment, datetime) else moment
        if not isinstance(day, date):
            return str(day)
        if self.lang == "fr":
            return f"{day.day} {MONTHS['fr'][day.month - 1]} {day.year}"
        return f"{day.day} {MONTHS['en'][day.month - 1]} {day.year}"
