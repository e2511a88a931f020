"""Multi-theme feedback written for these tests (CC0): 3 known themes x 15 items, EN and FR."""

LATE_DELIVERY = [
    "My parcel never arrived after three weeks.",
    "The delivery is two weeks late and nobody knows where the package is.",
    "Still waiting for my order, the parcel is lost somewhere.",
    "The courier never delivered my package.",
    "Delivery was delayed again, the parcel is stuck in transit.",
    "My package has been out for delivery for five days.",
    "The parcel was supposed to arrive Monday, it is now Friday.",
    "Mon colis n'est jamais arrivé.",
    "La livraison a deux semaines de retard.",
    "J'attends toujours mon colis, le suivi ne bouge plus.",
    "Le livreur n'est jamais passé, colis introuvable.",
    "Colis bloqué en transit depuis dix jours.",
    "Livraison en retard encore une fois, aucune nouvelle du colis.",
    "The tracking has not updated in a week, where is my parcel?",
    "Ma commande devait arriver lundi, toujours rien.",
]

WRONG_CHARGE = [
    "I was charged twice for the same order.",
    "There is an extra fee on my bill that I never agreed to.",
    "You billed me the wrong amount this month.",
    "My card was debited twice for one subscription.",
    "The invoice shows a charge I did not make.",
    "I was overcharged by twenty euros on my last invoice.",
    "Double payment taken from my account for a single purchase.",
    "On m'a débité deux fois pour la même commande.",
    "Ma facture contient des frais que je n'ai jamais acceptés.",
    "Prélèvement en double sur mon compte ce mois-ci.",
    "Le montant facturé est faux, j'ai payé trop cher.",
    "Vous m'avez facturé un abonnement que j'ai résilié.",
    "Erreur de facturation, le prix n'est pas le bon.",
    "The refund was never credited and I was charged again.",
    "Frais bancaires injustifiés sur mon relevé.",
]

APP_CRASH = [
    "The app crashes every time I open it.",
    "The mobile app freezes on the login screen.",
    "Since the last update the app keeps crashing.",
    "I cannot log in to the app, it closes immediately.",
    "The application is so slow it is unusable.",
    "App crashed while I was paying, very annoying.",
    "The app shows a blank screen after the update.",
    "L'application plante à chaque ouverture.",
    "Depuis la mise à jour, l'appli se ferme toute seule.",
    "Impossible de me connecter à l'application.",
    "L'appli est bloquée sur l'écran de chargement.",
    "L'application est très lente et bugue sans arrêt.",
    "L'appli a planté pendant le paiement.",
    "The app logs me out every few minutes.",
    "Écran blanc dans l'application après la mise à jour.",
]

THEMES = {"late_delivery": LATE_DELIVERY, "wrong_charge": WRONG_CHARGE, "app_crash": APP_CRASH}

# The French items: 8th to 13th and the last of each theme.
FRENCH = {text for items in THEMES.values() for text in items[7:13] + items[14:]}

# A later batch: same themes in new words, plus something unrelated.
NEW_BATCH = {
    "late_delivery": ["My order is three weeks late and the parcel has vanished.",
                      "Toujours pas reçu mon colis, livraison très en retard."],
    "wrong_charge": ["I have been billed twice for the same thing.",
                     "Double prélèvement sur ma carte, remboursez-moi."],
    "app_crash": ["The app crashes as soon as I open it.",
                  "L'application plante tout le temps depuis la mise à jour."],
}
UNRELATED = "Le chat du voisin dort sur le toit au soleil."
